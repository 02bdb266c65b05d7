using Gateway.Domain.Enrolment;
using Gateway.Domain.Tests.Values;
using Gateway.Domain.Values;

namespace Gateway.Domain.Tests.Enrolment;

public class DuplicateEnrolmentDetectorTests
{
    private static readonly IdentityNumber Person = IdentityNumber.Parse(ReferenceIdentity.Make("150102", new DateOnly(1990, 1, 1), 11));
    private static readonly IdentityNumber Other = IdentityNumber.Parse(ReferenceIdentity.Make("510603", new DateOnly(1992, 2, 2), 12));

    private static EnrolmentRecord Rec(string id, InsuranceType type, string region, string from, string to,
        EnrolmentStatus status = EnrolmentStatus.Active, EnrolmentBasis basis = EnrolmentBasis.Standard, IdentityNumber? person = null) =>
        new(id, person ?? Person, DivisionCode.Parse(region), type, status, YearMonth.Parse(from), YearMonth.Parse(to), basis);

    private static EnrolmentRecord Emp(string id, string region, string from, string to, EnrolmentBasis basis = EnrolmentBasis.Standard,
        EnrolmentStatus status = EnrolmentStatus.Active, bool current = false, int continuousMonths = 0) =>
        Rec(id, InsuranceType.Employee, region, from, to, status, basis) with { CurrentEmployment = current, ContinuousEmployeeMonths = continuousMonths };

    private static EnrolmentRecord Res(string id, string region, string from, string to, EnrolmentBasis basis = EnrolmentBasis.Standard,
        EnrolmentStatus status = EnrolmentStatus.Active) => Rec(id, InsuranceType.Resident, region, from, to, status, basis);

    [Fact]
    public void Two_employee_records_paid_for_the_same_month_are_a_within_scheme_duplicate_seed_003_article_23_1()
    {
        var hohhot = Emp("E1", "150100", "2020-01", "2025-06");
        var deyang = Emp("E2", "510600", "2025-04", "2026-02", current: true);
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([hohhot, deyang]));

        Assert.Equal(DuplicateEnrolmentKind.EmployeeWithinScheme, finding.Kind);
        Assert.Equal((YearMonth.Parse("2025-04"), YearMonth.Parse("2025-06")), (finding.From, finding.To));
        Assert.Equal(DuplicateResolution.KeepCurrentEmployment, finding.Resolution);
        Assert.Same(deyang, finding.Keep); // marked by its owner as the current place of employment
        Assert.Equal([hohhot], finding.ToEnd);
        Assert.Equal(DuplicateAction.Terminate, finding.Action);
        Assert.Contains("第二十三条(一)", finding.Explanation);
    }

    [Fact]
    public void Consecutive_records_after_a_transfer_are_not_duplicates()
    {
        var records = new[]
        {
            Emp("E1", "150100", "2020-01", "2025-03", status: EnrolmentStatus.Suspended),
            Emp("E2", "510600", "2025-04", "2026-02"),
            Res("R1", "150100", "2018-01", "2019-12"),
        };
        Assert.Empty(DuplicateEnrolmentDetector.Detect(records));
    }

    [Fact]
    public void Only_active_records_count_seed_003_article_23()
    {
        var suspended = Emp("E1", "150100", "2020-01", "2025-06", status: EnrolmentStatus.Suspended);
        var terminated = Emp("E3", "640100", "2025-01", "2025-12", status: EnrolmentStatus.Terminated);
        var active = Emp("E2", "510600", "2025-04", "2026-02");
        Assert.Empty(DuplicateEnrolmentDetector.Detect([suspended, terminated, active]));
    }

    [Fact]
    public void Records_of_different_people_never_duplicate_each_other()
    {
        var a = Emp("E1", "150100", "2020-01", "2025-06");
        var b = Rec("E2", InsuranceType.Employee, "510600", "2020-01", "2025-06", person: Other);
        Assert.Empty(DuplicateEnrolmentDetector.Detect([a, b]));
    }

    [Fact]
    public void Three_chained_employee_records_form_one_finding_over_all_duplicated_months()
    {
        var records = new[] { Emp("E1", "150100", "2020-01", "2020-12"), Emp("E2", "150200", "2020-06", "2021-06"), Emp("E3", "510600", "2021-01", "2021-12", current: true) };
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect(records));
        Assert.Equal(3, finding.Records.Count);
        Assert.Equal((YearMonth.Parse("2020-06"), YearMonth.Parse("2021-06")), (finding.From, finding.To));
        Assert.Equal("E3", finding.Keep!.RecordId);
    }

    [Fact]
    public void The_record_marked_as_current_employment_is_kept_even_when_it_started_first_seed_003_article_24_1()
    {
        var older = Emp("E1", "150100", "2020-01", "2026-02", current: true);
        var newer = Emp("E2", "510600", "2025-04", "2026-02");
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([older, newer]));
        Assert.Same(older, finding.Keep);
        Assert.Equal([newer], finding.ToEnd);
    }

    [Fact]
    public void No_employee_record_marked_as_current_leaves_the_choice_to_the_agencies_even_if_one_started_later()
    {
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([Emp("E1", "150100", "2020-01", "2025-06"), Emp("E2", "510600", "2025-04", "2026-02")]));
        Assert.Null(finding.Keep);
        Assert.Empty(finding.ToEnd);
        Assert.Contains("none is marked", finding.Explanation);
    }

    [Fact]
    public void Several_employee_records_marked_as_current_leave_the_choice_to_the_agencies()
    {
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([Emp("E1", "150100", "2020-01", "2025-06", current: true), Emp("E2", "510600", "2025-04", "2026-02", current: true)]));
        Assert.Null(finding.Keep);
        Assert.Contains("E1, E2 are all marked as current", finding.Explanation);
    }

    [Fact]
    public void Employee_records_started_in_the_same_month_leave_the_choice_to_the_agency()
    {
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([Emp("E1", "150100", "2025-01", "2025-06"), Emp("E2", "510600", "2025-01", "2025-03")]));
        Assert.Equal(DuplicateResolution.KeepCurrentEmployment, finding.Resolution);
        Assert.Null(finding.Keep);
        Assert.Empty(finding.ToEnd);
    }

    [Fact]
    public void Two_resident_records_in_one_resident_year_are_a_within_scheme_duplicate_and_the_person_chooses_seed_003_article_23_2()
    {
        var records = new[] { Res("R1", "150100", "2025-01", "2025-03"), Res("R2", "640100", "2025-09", "2025-12") };
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect(records));
        Assert.Equal(DuplicateEnrolmentKind.ResidentWithinScheme, finding.Kind);
        Assert.Equal(DuplicateResolution.PersonChooses, finding.Resolution);
        Assert.Null(finding.Keep);
        Assert.Equal((YearMonth.Parse("2025-01"), YearMonth.Parse("2025-12")), (finding.From, finding.To));
        Assert.Contains("第二十四条(二)", finding.Explanation);
    }

    [Fact]
    public void Resident_records_in_different_years_are_not_duplicates()
    {
        Assert.Empty(DuplicateEnrolmentDetector.Detect([Res("R1", "150100", "2024-01", "2024-12"), Res("R2", "640100", "2025-01", "2025-12")]));
    }

    [Fact]
    public void Resident_duplicate_is_reported_once_per_resident_year()
    {
        var findings = DuplicateEnrolmentDetector.Detect([Res("R1", "150100", "2023-01", "2025-12"), Res("R2", "640100", "2024-06", "2025-02")]);
        Assert.Equal([2024, 2025], findings.Select(f => f.From.Year));
        Assert.All(findings, f => Assert.Equal(DuplicateEnrolmentKind.ResidentWithinScheme, f.Kind));
    }

    [Fact]
    public void Student_enrolled_at_school_keeps_the_school_record_seed_003_article_24_3_1()
    {
        var home = Res("R1", "150100", "2025-01", "2025-12");
        var school = Res("R2", "510600", "2025-09", "2025-12", EnrolmentBasis.Student);
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([home, school]));
        Assert.Equal(DuplicateResolution.KeepStudyPlace, finding.Resolution);
        Assert.Same(school, finding.Keep);
        Assert.Equal([home], finding.ToEnd);
    }

    [Fact]
    public void Student_record_whose_owner_names_a_study_place_elsewhere_is_not_the_school_record()
    {
        var home = Res("R1", "150100", "2025-01", "2025-12");
        var school = Res("R2", "510600", "2025-09", "2025-12", EnrolmentBasis.Student) with { StudyPlace = DivisionCode.Parse("510600") };
        var elsewhere = school with { StudyPlace = DivisionCode.Parse("640100") };
        Assert.Same(school, Assert.Single(DuplicateEnrolmentDetector.Detect([home, school])).Keep);
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([home, elsewhere]));
        Assert.Equal(DuplicateResolution.PersonChooses, finding.Resolution);
        Assert.Null(finding.Keep);
    }

    [Fact]
    public void Subsidised_resident_duplicate_needs_the_persons_consent_seed_003_article_24_5()
    {
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([Res("R1", "150100", "2025-01", "2025-12"), Res("R2", "640100", "2025-01", "2025-12", EnrolmentBasis.Subsidised)]));
        Assert.Equal(DuplicateResolution.PersonConsentsSubsidised, finding.Resolution);
        Assert.Null(finding.Keep);
    }

    [Fact]
    public void Resident_year_fully_paid_in_employee_insurance_is_a_cross_scheme_duplicate_seed_003_article_23_3()
    {
        var resident = Res("R1", "150100", "2025-01", "2025-12");
        var employee = Emp("E1", "510600", "2023-06", "2026-02");
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([resident, employee]));
        Assert.Equal(DuplicateEnrolmentKind.CrossScheme, finding.Kind);
        Assert.Equal((YearMonth.Parse("2025-01"), YearMonth.Parse("2025-12")), (finding.From, finding.To));
        Assert.Equal(DuplicateResolution.KeepEmployee, finding.Resolution); // 31 continuous employee months
        Assert.Same(employee, finding.Keep);
        Assert.Equal([resident], finding.ToEnd);
    }

    [Fact]
    public void Resident_year_with_a_benefit_month_not_paid_in_employee_insurance_is_not_a_cross_scheme_duplicate()
    {
        var resident = Res("R1", "150100", "2025-01", "2025-12");
        Assert.Empty(DuplicateEnrolmentDetector.Detect([resident, Emp("E1", "510600", "2025-02", "2026-02")]));
        Assert.Empty(DuplicateEnrolmentDetector.Detect([resident, Emp("E1", "510600", "2024-01", "2025-05"), Emp("E2", "510600", "2025-07", "2026-02")]));
    }

    [Fact]
    public void Benefit_months_covered_by_two_successive_employee_records_still_count()
    {
        var resident = Res("R1", "150100", "2025-01", "2025-12");
        var findings = DuplicateEnrolmentDetector.Detect([resident, Emp("E1", "510600", "2024-01", "2025-06"), Emp("E2", "640100", "2025-07", "2026-02")]);
        var finding = Assert.Single(findings);
        Assert.Equal(DuplicateEnrolmentKind.CrossScheme, finding.Kind);
        Assert.Equal(["R1", "E1", "E2"], finding.Records.Select(r => r.RecordId));
        Assert.Equal("E2", finding.Keep!.RecordId);
    }

    [Theory]
    [InlineData("2024-12", 13, DuplicateResolution.KeepEmployee)]
    [InlineData("2025-01", 12, DuplicateResolution.KeepEmployee)]
    [InlineData("2025-02", 11, DuplicateResolution.AgencyReview)]
    public void Cross_scheme_keeps_employee_insurance_after_one_year_of_continuous_employee_enrolment_seed_003_article_24_4(
        string employeeFrom, int months, DuplicateResolution expected)
    {
        // Resident benefit months Feb..Dec 2025, employee paid from employeeFrom to Dec 2025.
        var resident = Res("R1", "150100", "2025-02", "2025-12");
        var employee = Emp("E1", "510600", employeeFrom, "2025-12");
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([resident, employee]));
        Assert.Equal(expected, finding.Resolution);
        Assert.Equal(months, DuplicateEnrolmentDetector.ContinuousMonthsEndingAt([employee], YearMonth.Parse("2025-12")));
        Assert.Equal(expected == DuplicateResolution.KeepEmployee ? employee : null, finding.Keep);
    }

    [Fact]
    public void Cross_scheme_counts_the_owners_own_continuous_employee_months_seed_003_article_24_4()
    {
        // Published records show 11 months; the owner's books show 20 up to its last paid month (two months past the year).
        var resident = Res("R1", "150100", "2025-02", "2025-12");
        var employee = Emp("E1", "510600", "2025-02", "2026-02", continuousMonths: 20);
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([resident, employee]));
        Assert.Equal(DuplicateResolution.KeepEmployee, finding.Resolution);
        Assert.Contains("18 months", finding.Explanation);
        var shortBooks = employee with { ContinuousEmployeeMonths = 13 }; // 11 by 2025-12
        Assert.Equal(DuplicateResolution.AgencyReview, Assert.Single(DuplicateEnrolmentDetector.Detect([resident, shortBooks])).Resolution);
    }

    [Fact]
    public void Cross_scheme_keeps_the_employee_record_marked_current_when_two_cover_the_last_month()
    {
        var resident = Res("R1", "150100", "2025-01", "2025-12");
        var a = Emp("E1", "510600", "2023-01", "2026-02");
        var b = Emp("E2", "640100", "2024-01", "2026-02", current: true);
        var cross = DuplicateEnrolmentDetector.Detect([resident, a, b]).Single(f => f.Kind == DuplicateEnrolmentKind.CrossScheme);
        Assert.Same(b, cross.Keep);
        var unmarked = DuplicateEnrolmentDetector.Detect([resident, a, b with { CurrentEmployment = false }]).Single(f => f.Kind == DuplicateEnrolmentKind.CrossScheme);
        Assert.Equal(DuplicateResolution.KeepEmployee, unmarked.Resolution);
        Assert.Null(unmarked.Keep);
    }

    [Fact]
    public void Finding_ids_are_deterministic_and_change_with_the_period()
    {
        var e1 = Emp("E1", "150100", "2020-01", "2025-06");
        var e2 = Emp("E2", "510600", "2025-04", "2026-02");
        var first = Assert.Single(DuplicateEnrolmentDetector.Detect([e1, e2]));
        Assert.Equal(first.Id, Assert.Single(DuplicateEnrolmentDetector.Detect([e2, e1 with { Status = EnrolmentStatus.Active }])).Id);
        Assert.Matches("^DUP[0-9a-f]{32}$", first.Id);
        Assert.NotEqual(first.Id, Assert.Single(DuplicateEnrolmentDetector.Detect([e1 with { To = YearMonth.Parse("2025-07") }, e2])).Id);
        Assert.NotEqual(DuplicateEnrolmentFinding.IdOf(first.Kind, [("15", "E1"), ("51", "E2")], first.From, first.To),
            DuplicateEnrolmentFinding.IdOf(first.Kind, [("15", "E1:51"), ("", "E2")], first.From, first.To));
    }

    [Fact]
    public void Continuous_employee_enrolment_counts_earlier_records_of_any_status()
    {
        var earlier = Emp("E0", "150100", "2024-01", "2024-12", status: EnrolmentStatus.Terminated);
        var current = Emp("E1", "510600", "2025-01", "2025-12");
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([Res("R1", "150100", "2025-01", "2025-12"), earlier, current]));
        Assert.Equal(DuplicateResolution.KeepEmployee, finding.Resolution);
        Assert.Equal(24, DuplicateEnrolmentDetector.ContinuousMonthsEndingAt([earlier, current], YearMonth.Parse("2025-12")));
    }

    [Fact]
    public void Flexible_employment_cross_scheme_duplicate_suspends_rather_than_ends_seed_003_article_24_6()
    {
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([Res("R1", "150100", "2025-01", "2025-12"), Emp("E1", "510600", "2022-01", "2025-12", EnrolmentBasis.FlexibleEmployment)]));
        Assert.Equal(DuplicateResolution.KeepOneSuspendOther, finding.Resolution);
        Assert.Equal(DuplicateAction.Suspend, finding.Action);
        Assert.Null(finding.Keep);
    }

    [Fact]
    public void Employed_student_keeps_the_employment_record_seed_003_article_24_3_2()
    {
        var school = Res("R1", "510600", "2025-01", "2025-12", EnrolmentBasis.Student);
        var job = Emp("E1", "150100", "2025-01", "2026-02");
        var finding = Assert.Single(DuplicateEnrolmentDetector.Detect([school, job]));
        Assert.Equal(DuplicateResolution.KeepEmploymentOverStudy, finding.Resolution);
        Assert.Same(job, finding.Keep);
        Assert.Equal([school], finding.ToEnd);
    }

    [Fact]
    public void All_three_kinds_are_found_together_for_one_person()
    {
        var records = new[]
        {
            Emp("E1", "150100", "2023-01", "2025-12"),
            Emp("E2", "510600", "2025-10", "2026-02"),
            Res("R1", "640100", "2025-01", "2025-12"),
            Res("R2", "150100", "2025-03", "2025-04"),
        };
        var kinds = DuplicateEnrolmentDetector.Detect(records).Select(f => f.Kind).Order().ToList();
        Assert.Equal([DuplicateEnrolmentKind.EmployeeWithinScheme, DuplicateEnrolmentKind.ResidentWithinScheme, DuplicateEnrolmentKind.CrossScheme, DuplicateEnrolmentKind.CrossScheme], kinds);
    }
}
