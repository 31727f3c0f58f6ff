using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SecureFallback.Server.Tests.Benchmarks;

/// <summary>
/// Counts the SQL commands EF Core sends (and the transaction and savepoint steps around them) from code running
/// inside <see cref="Capture"/>: the same events EF logs under <c>Microsoft.EntityFrameworkCore.Database.Command</c>
/// and <c>.Transaction</c>, taken from its diagnostic source so that other work of the server is left out.
/// </summary>
internal sealed class SqlCapture : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private static readonly AsyncLocal<Recording?> Current = new();
    private readonly IDisposable _all;
    private readonly List<IDisposable> _listeners = [];

    public SqlCapture() => _all = DiagnosticListener.AllListeners.Subscribe(this);

    /// <summary>Counts what the code run from here on (in this async flow) sends, until the result is disposed.</summary>
    public static Recording Capture()
    {
        var recording = new Recording();
        Current.Value = recording;
        return recording;
    }

    public void OnNext(DiagnosticListener value)
    {
        if (value.Name == DbLoggerCategory.Name)
        {
            lock (_listeners)
            {
                _listeners.Add(value.Subscribe(this));
            }
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (Current.Value is not { } recording)
        {
            return;
        }

        if (value.Key == RelationalEventId.CommandExecuting.Name && value.Value is CommandEventData command)
        {
            recording.Add(command.Command.CommandText);
        }
        else if (value.Key == RelationalEventId.TransactionStarting.Name)
        {
            recording.Add("BEGIN");
        }
        else if (value.Key == RelationalEventId.TransactionCommitting.Name)
        {
            recording.Add("COMMIT");
        }
        else if (value.Key == RelationalEventId.CreatingTransactionSavepoint.Name)
        {
            recording.Add("SAVEPOINT");
        }
        else if (value.Key == RelationalEventId.ReleasingTransactionSavepoint.Name)
        {
            recording.Add("RELEASE SAVEPOINT");
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        _all.Dispose();
        lock (_listeners)
        {
            _listeners.ForEach(l => l.Dispose());
        }
    }

    /// <summary>The commands sent by one piece of work, in order.</summary>
    internal sealed class Recording : IDisposable
    {
        private readonly List<string> _commands = [];

        public IReadOnlyList<string> Commands
        {
            get
            {
                lock (_commands)
                {
                    return [.. _commands];
                }
            }
        }

        public void Add(string text)
        {
            lock (_commands)
            {
                _commands.Add(text);
            }
        }

        public void Dispose() => Current.Value = null;
    }
}
