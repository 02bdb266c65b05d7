using Gateway.Contracts.Sync.V1;
using Gateway.Domain.Records;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.Storage;

namespace Gateway.Node.Sync.Filings.Calls;

/// <summary>Every filing this node owns or holds for one person, found by the person key (the number is not stored).</summary>
public sealed class GetPersonFilingsHandler(NodeDatabase db, NodeIdentity node)
{
    public const int MaxFilings = 500;

    public Task<GetPersonFilingsResponse> HandleAsync(GetPersonFilingsRequest request, CancellationToken ct)
    {
        var key = PersonKey.Of(RequestValidation.ValidatePersonLookup(request)).Value;
        return db.WithConnectionAsync(async (conn, token) =>
        {
            var rows = await FilingStore.ForPersonAsync(conn, key, MaxFilings + 1, token);
            var response = new GetPersonFilingsResponse { Truncated = rows.Count > MaxFilings };
            response.Filings.AddRange(rows.Take(MaxFilings).Select(r => FilingViews.View(r, node.Province)));
            return response;
        }, ct);
    }
}
