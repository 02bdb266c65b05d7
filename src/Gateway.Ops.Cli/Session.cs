using System.CommandLine;
using System.Globalization;
using Gateway.Contracts.Ops.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Spectre.Console;

namespace Gateway.Ops.Cli;

/// <summary>Options every command takes.</summary>
public sealed class GlobalOptions
{
    public Option<string?> Node { get; } = new("--node") { Description = "The node's gRPC address, e.g. http://127.0.0.1:5015.", Recursive = true };
    public Option<string?> Config { get; } = new("--config") { Description = "Config file with {\"node\": \"...\"} (default ~/.config/gateway-ops.json).", Recursive = true };
    public Option<bool> Json { get; } = new("--json") { Description = "Print the service's response as JSON instead of a table.", Recursive = true };
    public Option<int> TimeoutSeconds { get; } = new("--timeout") { Description = "Deadline of each call, in seconds.", DefaultValueFactory = _ => 60, Recursive = true };
    public Option<string?> Cert { get; } = new("--cert") { Description = "Client certificate for a TLS node: PEM (key in --key or inside) or PKCS#12 (.p12/.pfx). Config key \"cert\".", Recursive = true };
    // Not "--key": the actions' --key is their idempotency key.
    public Option<string?> CertKey { get; } = new("--cert-key") { Description = "PEM private key of --cert (when not inside it). Config key \"key\".", Recursive = true };
    public Option<string?> Ca { get; } = new("--ca") { Description = "PEM CA certificate(s) the node's certificate must chain to (default: the system's trust). Config key \"ca\".", Recursive = true };

    public void AddTo(RootCommand root)
    {
        root.Options.Add(Node);
        root.Options.Add(Config);
        root.Options.Add(Json);
        root.Options.Add(TimeoutSeconds);
        root.Options.Add(Cert);
        root.Options.Add(CertKey);
        root.Options.Add(Ca);
    }
}

public sealed class SessionFactory(GlobalOptions globals, TextWriter output, TextWriter error, Func<string, string?> env)
{
    public Func<string, string?> Env => env;

    /// <summary>Where a command that needs no node (verify-export) writes.</summary>
    public TextWriter Output => output;

    public Session Open(ParseResult parsed) => new(globals, parsed, output, error, env);
}

/// <summary>One invocation: the channel to the node, the output (Spectre for tables, raw writer for JSON).</summary>
public sealed class Session : IDisposable
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true).WithIndentation());
    private static readonly TimeSpan Beijing = TimeSpan.FromHours(8);
    private readonly GlobalOptions _globals;
    private readonly ParseResult _parsed;
    private readonly Func<string, string?> _env;
    private GrpcChannel? _channel;

    internal Session(GlobalOptions globals, ParseResult parsed, TextWriter output, TextWriter error, Func<string, string?> env)
    {
        _globals = globals;
        _parsed = parsed;
        _env = env;
        Output = output;
        Error = error;
        Json = parsed.GetValue(globals.Json);
        var interactive = ReferenceEquals(output, System.Console.Out) && !System.Console.IsOutputRedirected;
        Console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Detect : InteractionSupport.No,
        });
        // Piped output (scripts, tests): wide enough that ids and reasons are not wrapped.
        if (!interactive) Console.Profile.Width = 200;
    }

    public TextWriter Output { get; }
    public TextWriter Error { get; }
    public IAnsiConsole Console { get; }
    public bool Json { get; }

    public OpsService.OpsServiceClient Ops()
    {
        if (_channel is null)
        {
            var config = _parsed.GetValue(_globals.Config);
            var node = NodeTarget.Resolve(_parsed.GetValue(_globals.Node), config, _env);
            var tls = NodeTarget.ResolveTls(node, _parsed.GetValue(_globals.Cert), _parsed.GetValue(_globals.CertKey), _parsed.GetValue(_globals.Ca), config, _env);
            _channel = tls is null ? GrpcChannel.ForAddress(node) : GrpcChannel.ForAddress(node, new GrpcChannelOptions { HttpHandler = tls.Handler() });
        }
        return new OpsService.OpsServiceClient(_channel);
    }

    public CallOptions Call(Metadata? headers = null) =>
        new(headers, DateTime.UtcNow.AddSeconds(Math.Max(1, _parsed.GetValue(_globals.TimeoutSeconds))));

    public void PrintJson(IMessage message) => Output.WriteLine(Formatter.Format(message));

    public void Dispose() => _channel?.Dispose();

    /// <summary>Times shown in Beijing time, as the business dates are.</summary>
    public static string Time(Google.Protobuf.WellKnownTypes.Timestamp? at) =>
        at is null ? "" : at.ToDateTimeOffset().ToOffset(Beijing).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    public void Table(Table table)
    {
        table.Border(TableBorder.Rounded);
        Console.Write(table);
    }

    public static Table NewTable(params string[] columns)
    {
        var table = new Table();
        foreach (var c in columns) table.AddColumn(new TableColumn(Markup.Escape(c)));
        return table;
    }

    /// <summary>A row of plain texts (never markup: ids and reasons may contain brackets).</summary>
    public static void Row(Table table, params object?[] cells) =>
        table.AddRow(cells.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(c switch
        {
            null => "",
            string s => s,
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => c.ToString() ?? "",
        })).ToArray());

    public void NextPage(string token)
    {
        if (token.Length > 0) Console.WriteLine($"more: --page-token {token}");
    }
}
