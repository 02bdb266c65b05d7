using Gateway.Domain.Values;

namespace Gateway.Domain.Transfers;

/// <summary>
/// Transfer ids are minted by the destination as its province code, 'T' and 32 hex digits, so every node can tell
/// from the id alone which province may speak for the transfer's destination side.
/// </summary>
public static class TransferIds
{
    public const int Length = 35;

    public static string New(ProvinceCode destination, Guid id) => $"{destination.Value}T{id:N}";

    /// <summary>The destination province the id names, when the id has the shape above.</summary>
    public static bool TryDestination(string? id, out ProvinceCode destination)
    {
        destination = default;
        if (id is not { Length: Length } || id[2] != 'T' || !id.AsSpan(3).ContainsOnlyHex()) return false;
        var province = new ProvinceCode(id[..2]);
        if (!province.IsKnown) return false;
        destination = province;
        return true;
    }

    private static bool ContainsOnlyHex(this ReadOnlySpan<char> s)
    {
        foreach (var c in s) if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }
}
