namespace Gateway.Domain.Values;

/// <summary>Two-digit GB/T 2260 province-level code, e.g. "15" 内蒙古, "51" 四川.</summary>
public readonly record struct ProvinceCode(string Value)
{
    public override string ToString() => Value;
}
