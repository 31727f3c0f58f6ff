using System.Diagnostics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SecureFallback.Server.Tests;

/// <summary>
/// Counts the EF Core commands one server's contexts execute for HTTP requests (told apart from other tests' servers in
/// this process by their connection string, and from the server's background work by the request's activity), with
/// their SQL, from EF's diagnostic events. Made before the server starts: EF caches for
/// a while whether anyone listens.
/// </summary>
internal sealed class DatabaseCommandCounter : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    private readonly List<IDisposable> _subscriptions = [];
    private readonly List<string> _commands = [];

    public DatabaseCommandCounter()
    {
        _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));
    }

    /// <summary>The connection string of the server whose commands count; none count before it is set.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>The SQL of the commands counted so far.</summary>
    public List<string> Commands
    {
        get
        {
            lock (_commands)
            {
                return [.. _commands];
            }
        }
    }

    public void Clear()
    {
        lock (_commands)
        {
            _commands.Clear();
        }
    }

    public void OnNext(DiagnosticListener listener)
    {
        if (listener.Name == DbLoggerCategory.Name)
        {
            lock (_subscriptions)
            {
                _subscriptions.Add(listener.Subscribe(this));
            }
        }
    }

    public void OnNext(KeyValuePair<string, object?> value)
    {
        if (value.Key == RelationalEventId.CommandExecuted.Name && value.Value is CommandExecutedEventData data
            && ConnectionString is { } counted && data.Context?.Database.GetConnectionString() == counted && InRequest())
        {
            lock (_commands)
            {
                _commands.Add(data.Command.CommandText);
            }
        }
    }

    /// <summary>Whether the code running now serves an HTTP request (not the server's background work).</summary>
    internal static bool InRequest()
    {
        for (var activity = Activity.Current; activity is not null; activity = activity.Parent)
        {
            if (activity.OperationName == "Microsoft.AspNetCore.Hosting.HttpRequestIn")
            {
                return true;
            }
        }

        return false;
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose()
    {
        lock (_subscriptions)
        {
            _subscriptions.ForEach(s => s.Dispose());
        }
    }
}
