namespace Gateway.Domain.Documents;

/// <summary>
/// One invalid field of a document. <paramref name="Field"/> is a dotted lower_snake_case path named after the gRPC message
/// fields (e.g. "person.certno", "rows[2].from", "amount_fen"), so it can be returned verbatim as a BadRequest field violation.
/// </summary>
public sealed record FieldViolation(string Field, string Description);
