namespace Gateway.Domain.Values;

/// <summary>Basic medical insurance scheme; values are the national platform's insutype codes.</summary>
public enum InsuranceType
{
    /// <summary>职工基本医疗保险 (insutype 310).</summary>
    Employee = 310,

    /// <summary>城乡居民基本医疗保险 (insutype 390).</summary>
    Resident = 390,
}
