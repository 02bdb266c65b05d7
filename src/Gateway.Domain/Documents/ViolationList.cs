using Gateway.Domain.Values;

namespace Gateway.Domain.Documents;

/// <summary>Collects violations; each check reports at most one violation per field path.</summary>
internal sealed class ViolationList
{
    private readonly List<FieldViolation> _items = [];

    public IReadOnlyList<FieldViolation> ToList() => _items.ToArray();

    public bool Has(string field) => _items.Exists(v => v.Field == field);

    public void Add(string field, string description) => _items.Add(new FieldViolation(field, description));

    /// <summary>Adds <paramref name="error"/> when it is not null; true when the field is fine.</summary>
    public bool Check(string field, string? error)
    {
        if (error is null) return true;
        Add(field, error);
        return false;
    }

    public bool Text(string field, string? text, bool required, int maxLength = TextRules.MaxTextLength) =>
        Check(field, TextRules.CheckText(text, required, maxLength));

    public bool Phone(string field, string? text, bool required) => Check(field, TextRules.CheckPhone(text, required));

    public bool Postcode(string field, string? text, bool required) => Check(field, TextRules.CheckPostcode(text, required));

    public bool Defined<TEnum>(string field, TEnum? value, bool required) where TEnum : struct, Enum
    {
        if (value is null) return Check(field, required ? "required" : null);
        return Check(field, Enum.IsDefined(value.Value) ? null : $"unknown code {Convert.ToInt32(value.Value)}");
    }

    public bool Date(string field, DateOnly date) => Check(field, date == default ? "required" : null);

    public bool Month(string field, YearMonth month) => Check(field, month == default ? "required" : null);
}
