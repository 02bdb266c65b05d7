namespace Gateway.Domain.Values;

/// <summary>Sex as recorded on identity documents; values are the national gend codes.</summary>
public enum Gender
{
    Male = 1,
    Female = 2,

    /// <summary>Not stated (未说明).</summary>
    NotStated = 9,
}
