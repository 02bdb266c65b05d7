namespace Gateway.Domain.Enrolment;

/// <summary>The three kinds of duplicate enrolment (重复参保) of seed 003 第二十三条.</summary>
public enum DuplicateEnrolmentKind
{
    /// <summary>第二十三条(一): two or more employee records paid for the same contribution month.</summary>
    EmployeeWithinScheme = 1,

    /// <summary>第二十三条(二): two or more resident records paid in the same resident-insurance year.</summary>
    ResidentWithinScheme = 2,

    /// <summary>第二十三条(三): a resident year paid for, every benefit month of which is also paid in employee insurance.</summary>
    CrossScheme = 3,
}

/// <summary>The resolution seed 003 第二十四条 suggests.</summary>
public enum DuplicateResolution
{
    /// <summary>第二十四条(一): keep the record its owner marks as the current place of employment, end the others.</summary>
    KeepCurrentEmployment = 1,

    /// <summary>第二十四条(二): the person chooses where to stay enrolled, in writing; the others are ended on that undertaking.</summary>
    PersonChooses = 2,

    /// <summary>第二十四条(三)1: enrolment at school duplicates the old one; the school's agency has the old record ended.</summary>
    KeepStudyPlace = 3,

    /// <summary>第二十四条(三)2: a student found work; the employment agency has the school record ended.</summary>
    KeepEmploymentOverStudy = 4,

    /// <summary>第二十四条(四): cross-scheme with at least one year of continuous employee enrolment: keep employee insurance.</summary>
    KeepEmployee = 5,

    /// <summary>第二十四条(五): a subsidised enrolment is involved; keep the one the person agrees to, on their written waiver of the others.</summary>
    PersonConsentsSubsidised = 6,

    /// <summary>第二十四条(六): flexible-employment cross-scheme duplicate: keep one record with benefits and suspend (not end) the other.</summary>
    KeepOneSuspendOther = 7,

    /// <summary>No default in 第二十四条: the agency settles it with the person, keeping one record and ending the rest.</summary>
    AgencyReview = 8,
}

/// <summary>What happens to the records that are not kept.</summary>
public enum DuplicateAction
{
    /// <summary>终止: the general rule of 第二十四条.</summary>
    Terminate = 1,

    /// <summary>暂停: only for 第二十四条(六).</summary>
    Suspend = 2,
}

/// <summary>
/// One duplicate-enrolment finding: the records involved, the months in which they duplicate each other, and the suggested
/// resolution. <see cref="Keep"/> is null when the choice is the person's.
/// </summary>
public sealed record DuplicateEnrolmentFinding(
    DuplicateEnrolmentKind Kind,
    IReadOnlyList<EnrolmentRecord> Records,
    Values.YearMonth From,
    Values.YearMonth To,
    DuplicateResolution Resolution,
    EnrolmentRecord? Keep,
    DuplicateAction Action,
    string Explanation)
{
    /// <summary>Records to end (or suspend) once the kept one is known; empty while the person has to choose.</summary>
    public IReadOnlyList<EnrolmentRecord> ToEnd => Keep is null ? [] : Records.Where(r => r != Keep).ToArray();

    /// <summary>
    /// Deterministic id: the same kind, records (owner province, record id) and period always give the same id, whichever
    /// node detects it and however often, so a finding is notified once. A changed period is a new finding.
    /// </summary>
    public string Id => IdOf(Kind, Records.Select(r => (r.Province.Value, r.RecordId)), From, To);

    public static string IdOf(DuplicateEnrolmentKind kind, IEnumerable<(string Owner, string RecordId)> records, Values.YearMonth from, Values.YearMonth to)
    {
        // Length-prefixed parts: no record id can imitate a separator.
        var text = new System.Text.StringBuilder().Append((int)kind).Append('|');
        foreach (var (owner, id) in records.Distinct().OrderBy(r => r.Owner, StringComparer.Ordinal).ThenBy(r => r.RecordId, StringComparer.Ordinal))
            text.Append(owner.Length).Append(':').Append(owner).Append(id.Length).Append(':').Append(id).Append(';');
        text.Append('|').Append(from).Append('|').Append(to);
        var hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text.ToString()));
        return "DUP" + Convert.ToHexStringLower(hash)[..32];
    }
}
