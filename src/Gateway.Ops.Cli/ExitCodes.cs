namespace Gateway.Ops.Cli;

/// <summary>Exit codes scripts can rely on (also printed by --help).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>Anything not covered below (an internal error at the node, a bug).</summary>
    public const int Other = 1;
    /// <summary>Bad usage: unknown command or option, missing argument, no node configured.</summary>
    public const int Usage = 2;
    /// <summary>The node refused the call: FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND or PERMISSION_DENIED (e.g. no client certificate, a role the call does not take).</summary>
    public const int Refused = 3;
    /// <summary>The node could not be reached or is unavailable (UNAVAILABLE, DEADLINE_EXCEEDED, a failed TLS handshake).</summary>
    public const int Unreachable = 4;

    public const string Help = """
        Exit codes: 0 ok; 2 bad usage; 3 refused by the node (FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND,
        PERMISSION_DENIED: the reason code and field violations are printed); 4 node unreachable or unavailable, or the
        TLS handshake failed; 1 anything else.
        """;
}

/// <summary>Bad usage found after parsing (no node configured, unreadable config file): exit 2.</summary>
public sealed class UsageException(string message) : Exception(message);
