namespace Gateway.Domain.Values;

/// <summary>Six-digit administrative division code (行政区划代码); the province is its first two digits.</summary>
public readonly record struct DivisionCode(string Value)
{
    public ProvinceCode Province => new(Value[..2]);
    public override string ToString() => Value;
}
