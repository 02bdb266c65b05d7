namespace Gateway.Domain.Enrolment;

/// <summary>On what footing a person is enrolled; the resolutions of seed 003 第二十四条 depend on it.</summary>
public enum EnrolmentBasis
{
    /// <summary>Enrolled through an employer (employee insurance) or as an ordinary resident (resident insurance).</summary>
    Standard = 1,

    /// <summary>Flexible employment: part-time, temporary or self-employed work in employee insurance (第二十四条(六)).</summary>
    FlexibleEmployment = 2,

    /// <summary>A student enrolled where the school is (学籍地, 第二十四条(三)).</summary>
    Student = 3,

    /// <summary>Resident enrolment paid with government help (政府资助参保, 第二十四条(五)).</summary>
    Subsidised = 4,
}
