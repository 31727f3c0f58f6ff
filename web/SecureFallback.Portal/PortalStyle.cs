namespace SecureFallback.Portal;

/// <summary>The portal's one stylesheet, served from our origin so the CSP can forbid inline styles.</summary>
internal static class PortalStyle
{
    public const string Css = """
        body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b;overflow-wrap:break-word}
        h1,h2{hyphens:auto}
        label{display:block;margin-top:1rem;font-weight:600}
        input[type=email],input[type=password],input[type=text]{width:100%;max-width:24rem;padding:.5rem;font-size:1rem}
        button{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}
        table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd}
        .error{color:#a00000}.body{white-space:pre-wrap;border:1px solid #ddd;padding:1rem}
        header{border-bottom:1px solid #ddd;margin-bottom:1rem;display:flex;justify-content:space-between;align-items:center;flex-wrap:wrap;gap:.5rem}
        nav a{margin-right:1rem}.notice{color:#0a5a0a}button.secondary{background:none;border:1px solid #888}
        img.qr{display:block;width:12rem;height:12rem;image-rendering:pixelated}.codes code{font-size:1.1rem}
        :focus-visible{outline:3px solid #1a4fa0;outline-offset:2px}main:focus{outline:none}
        .skip-link{position:absolute;left:-100vw;top:.5rem;padding:.5rem 1rem;background:#fff}.skip-link:focus{left:.5rem}
        *,*::before,*::after{box-sizing:border-box}input,select,textarea{max-width:100%;min-height:1.75rem}textarea{width:100%}
        input[type=checkbox]{width:1.5rem;height:1.5rem;vertical-align:middle;margin:0 .5rem 0 0}
        nav a{display:inline-block;padding:.25rem 0}header span{overflow-wrap:anywhere}svg{max-width:100%;height:auto}
        .table-scroll{overflow-x:auto;margin:1rem 0;position:relative}main a{padding:.2rem 0}
        .body{overflow-wrap:anywhere}.html-body{overflow-x:auto;overflow-wrap:anywhere;border:1px solid #ddd;padding:1rem}
        .html-body img,.html-body video{max-width:100%;height:auto}.html-body pre{white-space:pre-wrap}.html-body table{overflow-wrap:normal}
        @media (max-width:30rem){table.messages thead{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%)}
        table.messages tr{display:block;padding:.5rem 0;border-bottom:1px solid #ddd}table.messages td{display:block;border:0;padding:0 .6rem;overflow-wrap:anywhere}}
        .visually-hidden{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip-path:inset(50%);white-space:nowrap;border:0}
        """;
}
