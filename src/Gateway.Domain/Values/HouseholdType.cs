namespace Gateway.Domain.Values;

/// <summary>
/// Household-registration type (户籍类型) as the application and contact-letter forms list it (seed 004 附表10, 附表11).
/// No national code is known for this list; the values are the form's order and match the gRPC enum.
/// </summary>
public enum HouseholdType
{
    /// <summary>居民 (unified resident registration).</summary>
    Resident = 1,

    /// <summary>农业.</summary>
    Agricultural = 2,

    /// <summary>非农业.</summary>
    NonAgricultural = 3,

    /// <summary>台港澳.</summary>
    HongKongMacaoTaiwan = 4,

    /// <summary>外籍.</summary>
    Foreign = 5,
}
