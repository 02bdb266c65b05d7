using Gateway.Domain.Values;

namespace Gateway.Domain.Enrolment;

/// <summary>
/// Finds duplicate enrolment (重复参保) across the records provinces publish, by the rules of seed 003 第二十三条, and suggests the
/// resolution of 第二十四条. Only active records count (the article speaks of records whose contribution status is normal);
/// the resident-insurance year is the calendar year.
/// </summary>
public static class DuplicateEnrolmentDetector
{
    /// <summary>第二十四条(四): "one year or more" of continuous employee enrolment keeps the employee record.</summary>
    public const int ContinuousEmployeeMonthsToKeepEmployee = 12;

    /// <summary>Findings for every person in <paramref name="records"/> (records may come from any province).</summary>
    public static IReadOnlyList<DuplicateEnrolmentFinding> Detect(IEnumerable<EnrolmentRecord> records)
    {
        var findings = new List<DuplicateEnrolmentFinding>();
        foreach (var person in records.GroupBy(r => (r.Person.DocumentType, r.Person.Value)))
        {
            var all = person.ToList();
            var employeeHistory = all.Where(r => r.InsuranceType == InsuranceType.Employee).ToList();
            var active = all.Where(r => r.Status == EnrolmentStatus.Active).ToList();
            var employee = active.Where(r => r.InsuranceType == InsuranceType.Employee).ToList();
            var resident = active.Where(r => r.InsuranceType == InsuranceType.Resident).ToList();

            findings.AddRange(EmployeeDuplicates(employee));
            findings.AddRange(ResidentDuplicates(resident));
            findings.AddRange(CrossSchemeDuplicates(resident, employee, employeeHistory));
        }
        return findings;
    }

    // 第二十三条(一): overlapping paid months between employee records; one finding per cluster of overlapping records.
    private static IEnumerable<DuplicateEnrolmentFinding> EmployeeDuplicates(List<EnrolmentRecord> employee)
    {
        foreach (var cluster in OverlapClusters(employee))
        {
            var from = cluster.SelectMany(a => cluster.Where(b => b != a && a.Overlaps(b)).Select(b => YearMonth.Max(a.From, b.From))).Min();
            var to = cluster.SelectMany(a => cluster.Where(b => b != a && a.Overlaps(b)).Select(b => YearMonth.Min(a.To, b.To))).Max();

            // Only the owners know which employment is current: the record they mark so. A later start is no proof
            // (the older job may be the one that goes on), so none or several marked leaves the choice to the agencies.
            var marked = cluster.Where(r => r.CurrentEmployment).ToList();
            var keep = marked.Count == 1 ? marked[0] : null;
            var advice = keep is not null
                ? $"keep {keep.RecordId} at the current place of employment and end the others"
                : marked.Count == 0
                    ? "keep the record at the current place of employment (none is marked as the current one: the agencies must tell which) and end the others"
                    : $"keep the record at the current place of employment ({Ids(marked)} are all marked as current: the agencies must tell which) and end the others";
            yield return new DuplicateEnrolmentFinding(DuplicateEnrolmentKind.EmployeeWithinScheme, cluster, from, to,
                DuplicateResolution.KeepCurrentEmployment, keep, DuplicateAction.Terminate,
                $"{Ids(cluster)} are all paid in employee insurance for some of {from}..{to} (seed 003 第二十三条(一)); {advice} (第二十四条(一)).");
        }
    }

    // 第二十三条(二): two or more resident records paid in the same resident year.
    private static IEnumerable<DuplicateEnrolmentFinding> ResidentDuplicates(List<EnrolmentRecord> resident)
    {
        var years = resident.SelectMany(r => Enumerable.Range(r.From.Year, r.To.Year - r.From.Year + 1)).Distinct().Order();
        foreach (var year in years)
        {
            var inYear = resident.Where(r => r.From.Year <= year && year <= r.To.Year).ToList();
            if (inYear.Count < 2) continue;
            var (from, to) = MonthsInYear(inYear, year);

            // A student record counts as the one at school unless its owner names a study place elsewhere.
            var students = inYear.Where(r => r.Basis == EnrolmentBasis.Student && AtStudyPlace(r)).ToList();
            DuplicateResolution resolution;
            EnrolmentRecord? keep = null;
            string advice;
            if (students.Count == 1)
            {
                (resolution, keep) = (DuplicateResolution.KeepStudyPlace, students[0]);
                advice = $"keep {keep.RecordId} where the student studies; that agency has the others ended (第二十四条(三)1)";
            }
            else if (inYear.Any(r => r.Basis == EnrolmentBasis.Subsidised))
            {
                resolution = DuplicateResolution.PersonConsentsSubsidised;
                advice = "a subsidised enrolment is involved: keep the one the person agrees to and end the others on their written waiver (第二十四条(五))";
            }
            else
            {
                resolution = DuplicateResolution.PersonChooses;
                advice = "the person chooses where to stay enrolled; the others are ended on their written undertaking (第二十四条(二))";
            }
            yield return new DuplicateEnrolmentFinding(DuplicateEnrolmentKind.ResidentWithinScheme, inYear, from, to,
                resolution, keep, DuplicateAction.Terminate,
                $"{Ids(inYear)} are all paid in resident insurance for {year} (seed 003 第二十三条(二)); {advice}.");
        }
    }

    // 第二十三条(三): in a resident year paid for, every benefit month is also paid in employee insurance.
    private static IEnumerable<DuplicateEnrolmentFinding> CrossSchemeDuplicates(
        List<EnrolmentRecord> resident, List<EnrolmentRecord> employee, List<EnrolmentRecord> employeeHistory)
    {
        if (employee.Count == 0) yield break;
        foreach (var r in resident)
        {
            for (var year = r.From.Year; year <= r.To.Year; year++)
            {
                var (from, to) = MonthsInYear([r], year);
                var benefitMonths = Enumerable.Range(0, from.MonthsThrough(to)).Select(from.AddMonths).ToList();
                if (!benefitMonths.All(m => employee.Any(e => e.Covers(m)))) continue;

                var covering = employee.Where(e => e.From <= to && from <= e.To).OrderBy(e => e.From).ToList();
                var current = CurrentEmployee(covering, to);
                var records = covering.Prepend(r).ToList();
                // The owners' own counts may reach back past the records they still publish.
                var continuous = Math.Max(ContinuousMonthsEndingAt(employeeHistory, to),
                    covering.Where(e => e.Covers(to)).Select(e => e.ContinuousEmployeeMonths - to.MonthsUntil(e.To)).DefaultIfEmpty(0).Max());

                DuplicateResolution resolution;
                EnrolmentRecord? keep = null;
                var action = DuplicateAction.Terminate;
                string advice;
                if (r.Basis == EnrolmentBasis.Student)
                {
                    (resolution, keep) = (DuplicateResolution.KeepEmploymentOverStudy, current);
                    advice = keep is null
                        ? $"the student is employed: keep the record at the current place of employment (the agencies must tell which) and the employment agency has {r.RecordId} ended (第二十四条(三)2)"
                        : $"the student is employed: keep {keep.RecordId} and the employment agency has {r.RecordId} ended (第二十四条(三)2)";
                }
                else if (covering.Any(e => e.Basis == EnrolmentBasis.FlexibleEmployment))
                {
                    (resolution, action) = (DuplicateResolution.KeepOneSuspendOther, DuplicateAction.Suspend);
                    advice = "flexible employment: keep one record that carries benefits and suspend the other (第二十四条(六))";
                }
                else if (continuous >= ContinuousEmployeeMonthsToKeepEmployee)
                {
                    (resolution, keep) = (DuplicateResolution.KeepEmployee, current);
                    advice = keep is null
                        ? $"{continuous} months of continuous employee enrolment: keep the employee record at the current place of employment (the agencies must tell which) and end {r.RecordId} (第二十四条(四))"
                        : $"{continuous} months of continuous employee enrolment: keep {keep.RecordId} and end {r.RecordId} (第二十四条(四))";
                }
                else
                {
                    resolution = DuplicateResolution.AgencyReview;
                    advice = $"only {continuous} months of continuous employee enrolment, so 第二十四条 sets no default: the agency keeps one with the person";
                }
                yield return new DuplicateEnrolmentFinding(DuplicateEnrolmentKind.CrossScheme, records, from, to, resolution, keep, action,
                    $"{r.RecordId} is paid in resident insurance for {year} and every benefit month {from}..{to} is also paid in employee insurance by {Ids(covering)} (seed 003 第二十三条(三)); {advice}.");
            }
        }
    }

    /// <summary>Months of continuous employee enrolment (any status: history counts) ending at <paramref name="month"/>.</summary>
    public static int ContinuousMonthsEndingAt(IReadOnlyCollection<EnrolmentRecord> employeeRecords, YearMonth month)
    {
        var count = 0;
        for (var m = month; employeeRecords.Any(e => e.InsuranceType == InsuranceType.Employee && e.Covers(m)); m = m.Previous)
        {
            count++;
            if (m.Year <= 1) break;
        }
        return count;
    }

    /// <summary>
    /// The employee record to keep among <paramref name="covering"/>: the one marked as the current place of employment;
    /// when none is marked, the only one still paid in <paramref name="last"/>; otherwise unknown (null).
    /// </summary>
    private static EnrolmentRecord? CurrentEmployee(List<EnrolmentRecord> covering, YearMonth last)
    {
        var marked = covering.Where(e => e.CurrentEmployment).ToList();
        if (marked.Count > 0) return marked.Count == 1 ? marked[0] : null;
        var paidLast = covering.Where(e => e.Covers(last)).ToList();
        return paidLast.Count == 1 ? paidLast[0] : null;
    }

    private static bool AtStudyPlace(EnrolmentRecord r) =>
        r.StudyPlace is not { } place || r.PoolingRegion.Contains(place) || place.Contains(r.PoolingRegion);

    private static List<List<EnrolmentRecord>> OverlapClusters(List<EnrolmentRecord> records)
    {
        var clusters = new List<List<EnrolmentRecord>>();
        List<EnrolmentRecord>? current = null;
        var reach = default(YearMonth);
        foreach (var r in records.OrderBy(r => r.From).ThenBy(r => r.To))
        {
            if (current is not null && r.From <= reach)
            {
                current.Add(r);
                reach = YearMonth.Max(reach, r.To);
                continue;
            }
            current = [r];
            reach = r.To;
            clusters.Add(current);
        }
        return clusters.Where(c => c.Count > 1).ToList();
    }

    private static (YearMonth From, YearMonth To) MonthsInYear(IEnumerable<EnrolmentRecord> records, int year)
    {
        var list = records.ToList();
        return (list.Min(r => YearMonth.Max(r.From, new YearMonth(year, 1))), list.Max(r => YearMonth.Min(r.To, new YearMonth(year, 12))));
    }

    private static string Ids(IEnumerable<EnrolmentRecord> records) => string.Join(", ", records.Select(r => r.RecordId));
}
