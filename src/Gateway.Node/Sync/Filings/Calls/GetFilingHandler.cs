using Gateway.Contracts.Sync.V1;
using Gateway.Node.Application;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.Storage;

namespace Gateway.Node.Sync.Filings.Calls;

/// <summary>One filing this node owns or holds; a tombstone (its destination moved away) is no longer held.</summary>
public sealed class GetFilingHandler(NodeDatabase db, NodeIdentity node)
{
    public Task<FilingView> HandleAsync(GetFilingRequest request, CancellationToken ct)
    {
        RequestValidation.ValidateGetFiling(request);
        return db.WithConnectionAsync(async (conn, token) =>
        {
            var row = await FilingStore.FindAsync(conn, null, request.OwnerProvince, request.FilingId, forUpdate: false, token);
            if (row is null || row.Removed)
                throw new NotFoundException(row is null
                    ? $"Node {node.Province} neither owns nor holds filing {request.OwnerProvince}/{request.FilingId}."
                    : $"Filing {request.OwnerProvince}/{request.FilingId} is no longer held here: its owner moved its destination away.");
            return FilingViews.View(row, node.Province);
        }, ct);
    }
}
