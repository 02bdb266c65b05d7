namespace Gateway.Domain.Documents;

/// <summary>
/// Who the cross-region care filing is for (人员类别). The first four are the boxes of seed 004 附表13 and national items 12–15;
/// the form's "其他" is Inner Mongolia's 其他临时外出就医人员 (seed 000 item 15); emergency care is Sichuan's item 21.
/// No national code list is known here, so the values are plain.
/// </summary>
public enum CareFilingCategory
{
    /// <summary>异地安置退休人员: retired employee-insurance members settled elsewhere.</summary>
    RetiredResettled = 1,

    /// <summary>异地长期居住人员.</summary>
    LongTermResident = 2,

    /// <summary>常驻异地工作人员: employee-insurance members posted elsewhere.</summary>
    PostedWorker = 3,

    /// <summary>异地转诊人员: referred by a designated hospital.</summary>
    Referral = 4,

    /// <summary>其他临时外出就医人员 (the form's "其他", described in category_note).</summary>
    TemporaryOther = 5,

    /// <summary>异地急诊、抢救: filed for emergency admission away from home.</summary>
    EmergencyRescue = 6,
}
