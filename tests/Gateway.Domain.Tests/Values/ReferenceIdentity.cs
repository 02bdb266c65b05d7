namespace Gateway.Domain.Tests.Values;

/// <summary>
/// Test-side generator of citizen numbers. The check character is computed with the recursive ISO 7064 MOD 11-2 form
/// (p = (p + digit) · 2 mod 11, check = (12 − p) mod 11), not the weight table the product uses.
/// </summary>
public static class ReferenceIdentity
{
    // Real province prefixes a citizen number starts with, with a county suffix each.
    private static readonly string[] Regions = ["110105", "120101", "150102", "152502", "310104", "440305", "460105", "500103", "510603", "540102", "640104", "650102"];

    public static char CheckCharacter(string first17)
    {
        var p = 0;
        foreach (var c in first17) p = (p + (c - '0')) * 2 % 11;
        var check = (12 - p) % 11;
        return check == 10 ? 'X' : (char)('0' + check);
    }

    public static string Make(string region, DateOnly birth, int sequence)
    {
        var body = $"{region}{birth:yyyyMMdd}{sequence:000}";
        return body + CheckCharacter(body);
    }

    public static (string Number, DateOnly Birth, bool Male) Random(Random rng, DateOnly latestBirth)
    {
        var region = Regions[rng.Next(Regions.Length)];
        var earliest = new DateOnly(1900, 1, 1).DayNumber;
        var birth = DateOnly.FromDayNumber(rng.Next(earliest, latestBirth.DayNumber + 1));
        var sequence = rng.Next(0, 1000);
        return (Make(region, birth, sequence), birth, sequence % 2 == 1);
    }
}
