using Gateway.Contracts.Sync.V1;
using Gateway.Node.Grpc;
using Gateway.Node.Infrastructure;
using Gateway.Storage;

namespace Gateway.Node.Sync.Filings.Calls;

/// <summary>Owned or held filings, filtered in the database, in arrival order, one page per call.</summary>
public sealed class ListFilingsHandler(NodeDatabase db, NodeIdentity node)
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public Task<ListFilingsResponse> HandleAsync(ListFilingsRequest request, CancellationToken ct)
    {
        var (validOn, size, after) = RequestValidation.ValidateListFilings(request, DefaultPageSize, MaxPageSize);
        var filter = new FilingFilter(node.Province, request.Scope == FilingScope.Owned,
            request.Category == FilingCategory.Unspecified ? null : FilingViews.CategoryName(request.Category),
            request.Status == FilingStatus.Unspecified ? null : FilingViews.StatusName(request.Status),
            validOn, string.IsNullOrEmpty(request.CounterpartProvince) ? null : request.CounterpartProvince);
        return db.WithConnectionAsync(async (conn, token) =>
        {
            // One row more than the page says whether another page follows.
            var rows = await FilingStore.ListAsync(conn, filter, after, size + 1, token);
            var response = new ListFilingsResponse();
            response.Filings.AddRange(rows.Take(size).Select(r => FilingViews.View(r, node.Province)));
            response.NextPageToken = rows.Count > size ? FilingPageToken.Encode(rows[size - 1].RowNo) : "";
            return response;
        }, ct);
    }
}
