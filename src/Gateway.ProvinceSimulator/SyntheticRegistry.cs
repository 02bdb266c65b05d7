namespace Gateway.ProvinceSimulator;

/// <summary>
/// The province system's own records: people, status, personal-account balances.
/// Money moves only through <see cref="Debit"/> and <see cref="Credit"/>, each applied at most
/// once per work-item id (a repeat returns the first result and changes nothing). Thread-safe.
/// </summary>
public sealed class SyntheticRegistry
{
    private enum MoveKind { Debit, Credit }
    private sealed record Move(MoveKind Kind, string Certno, long AmountFen);

    private readonly object _gate = new();
    private readonly Dictionary<string, SyntheticPerson> _people = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Dictionary<string, Move> _moves = new(StringComparer.Ordinal);

    public SyntheticRegistry(string provinceCode)
    {
        Profile = ProvinceProfile.For(provinceCode);
    }

    public string ProvinceCode => Profile.Code;
    public ProvinceProfile Profile { get; }

    /// <summary>A registry of <paramref name="count"/> generated people; the same seed gives the same people.</summary>
    public static SyntheticRegistry Create(string provinceCode, int count, int seed, DateOnly? asOfMonth = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var registry = new SyntheticRegistry(provinceCode);
        var generator = new PersonGenerator(registry.Profile, seed, asOfMonth ?? new DateOnly(2025, 12, 1));
        for (var i = 0; i < count; i++)
            registry.Add(generator.Next(certno => registry._people.ContainsKey(certno)));
        return registry;
    }

    public int Count { get { lock (_gate) return _people.Count; } }

    /// <summary>A snapshot of everyone, in the order they were added.</summary>
    public IReadOnlyList<SyntheticPerson> People
    {
        get { lock (_gate) return _order.Select(c => _people[c]).ToList(); }
    }

    public SyntheticPerson? Find(string certno)
    {
        lock (_gate) return _people.GetValueOrDefault(Normalize(certno));
    }

    /// <summary>Adds a person; false (and no change) when the identity number is already known.</summary>
    public bool Add(SyntheticPerson person)
    {
        ArgumentNullException.ThrowIfNull(person);
        var key = Normalize(person.IdentityNumber);
        lock (_gate)
        {
            if (!_people.TryAdd(key, person)) return false;
            _order.Add(key);
            return true;
        }
    }

    public SyntheticPerson SetStatus(string certno, EnrolmentState status) =>
        Update(certno, p => p with { Status = status });

    /// <summary>The origin's side of a completed transfer: the relationship ends here.</summary>
    public SyntheticPerson CloseRecord(string certno, string transferId) =>
        Update(certno, p => p with { Status = EnrolmentState.Terminated, ClosedByTransfer = transferId });

    /// <summary>Takes the whole personal-account balance out, once per item id; returns the amount taken.</summary>
    public long Debit(string itemId, string certno)
    {
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        lock (_gate)
        {
            if (_moves.TryGetValue(itemId, out var done)) return Repeat(done, MoveKind.Debit, itemId);
            var key = Normalize(certno);
            var person = _people.GetValueOrDefault(key) ?? throw UnknownPerson(certno);
            var amount = person.BalanceFen;
            _people[key] = person with { BalanceFen = 0 };
            _moves[itemId] = new Move(MoveKind.Debit, key, amount);
            return amount;
        }
    }

    /// <summary>Adds <paramref name="amountFen"/> to the personal account, once per item id; returns the amount credited.</summary>
    public long Credit(string itemId, string certno, long amountFen)
    {
        ArgumentException.ThrowIfNullOrEmpty(itemId);
        ArgumentOutOfRangeException.ThrowIfNegative(amountFen);
        lock (_gate)
        {
            if (_moves.TryGetValue(itemId, out var done)) return Repeat(done, MoveKind.Credit, itemId);
            var key = Normalize(certno);
            var person = _people.GetValueOrDefault(key) ?? throw UnknownPerson(certno);
            _people[key] = person with { BalanceFen = checked(person.BalanceFen + amountFen) };
            _moves[itemId] = new Move(MoveKind.Credit, key, amountFen);
            return amountFen;
        }
    }

    /// <summary>True when a debit or credit has already been applied for this item id.</summary>
    public bool HasApplied(string itemId)
    {
        lock (_gate) return _moves.ContainsKey(itemId);
    }

    public long BalanceOf(string certno)
    {
        lock (_gate) return (_people.GetValueOrDefault(Normalize(certno)) ?? throw UnknownPerson(certno)).BalanceFen;
    }

    public long TotalBalance()
    {
        lock (_gate) return _people.Values.Sum(p => p.BalanceFen);
    }

    private SyntheticPerson Update(string certno, Func<SyntheticPerson, SyntheticPerson> change)
    {
        var key = Normalize(certno);
        lock (_gate)
        {
            var person = _people.GetValueOrDefault(key) ?? throw UnknownPerson(certno);
            var updated = change(person);
            _people[key] = updated;
            return updated;
        }
    }

    private static long Repeat(Move done, MoveKind asked, string itemId) =>
        done.Kind == asked
            ? done.AmountFen
            : throw new InvalidOperationException($"Item {itemId} was already applied as a {done.Kind}, not a {asked}.");

    // The check character may arrive as a lower-case x.
    private static string Normalize(string certno) => certno.Trim().ToUpperInvariant();

    private static KeyNotFoundException UnknownPerson(string certno) =>
        new($"No person with identity number {Mask(certno)} in this registry.");

    internal static string Mask(string certno) => Gateway.Domain.Values.PersonalData.Mask(Gateway.Domain.Values.PersonalDataKind.IdentityNumber, certno);
}
