namespace Gateway.Domain.Values;

/// <summary>An amount of money in integer fen (分). Never floating point.</summary>
public readonly record struct Money(long Fen) : IComparable<Money>
{
    public static readonly Money Zero = new(0);
    public static Money FromFen(long fen) => new(fen);
    public static Money operator +(Money a, Money b) => new(checked(a.Fen + b.Fen));
    public static Money operator -(Money a, Money b) => new(checked(a.Fen - b.Fen));
    public int CompareTo(Money other) => Fen.CompareTo(other.Fen);
    public override string ToString() => $"{Fen / 100}.{Math.Abs(Fen % 100):00}";
}
