namespace Gateway.Domain.Documents;

/// <summary>
/// The destination agency's account that receives the personal-account balance (联系函: 开户全称, 开户银行, 开户银行行号, 银行账号).
/// Paths: account_name, bank_name, bank_code, account_number.
/// </summary>
public sealed record BankAccount(string AccountName, string BankName, string BankCode, string AccountNumber)
{
    internal void Validate(ViolationList v, string prefix)
    {
        v.Text($"{prefix}.account_name", AccountName, required: true);
        v.Text($"{prefix}.bank_name", BankName, required: true);
        v.Check($"{prefix}.bank_code", TextRules.CheckBankCode(BankCode));
        v.Check($"{prefix}.account_number", TextRules.CheckAccountNumber(AccountNumber));
    }
}
