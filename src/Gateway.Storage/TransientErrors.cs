using Npgsql;

namespace Gateway.Storage;

/// <summary>Which database failures are worth repeating the whole unit of work for.</summary>
public static class TransientErrors
{
    public const string SerializationFailure = "40001";
    public const string DeadlockDetected = "40P01";
    public const string UniqueViolation = "23505";

    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException { SqlState: SerializationFailure or DeadlockDetected } => true,
        NpgsqlException npgsql => npgsql.IsTransient,
        _ => false,
    };
}
