using System.Net.Sockets;
using Grpc.Core;

namespace Gateway.Ops.Cli.Tests;

/// <summary>
/// How the client's own transport failures are told apart, built as Grpc.Net.Client reports them: a node refusing the
/// client certificate shows as a reset, either during set-up or (TLS 1.3) while the request is sent.
/// </summary>
public sealed class TransportFailureTests
{
    private static RpcException Failed(Exception transport) =>
        new(new Status(StatusCode.Unavailable, "Error starting gRPC call. " + transport.Message, transport));

    private static SocketException Socket(SocketError error) => new((int)error);

    public static TheoryData<string> TlsRefusals => ["reset in set-up", "reset while sending", "ended before answering"];

    [Theory]
    [MemberData(nameof(TlsRefusals))]
    public async Task A_reset_by_a_node_that_refuses_the_certificate_is_named_a_tls_failure(string shape)
    {
        Exception transport = shape switch
        {
            "reset in set-up" => new HttpRequestException(HttpRequestError.ConnectionError, "The SSL connection could not be established.",
                new IOException("Received an unexpected EOF or 0 bytes from the transport stream.")),
            "reset while sending" => new HttpRequestException(HttpRequestError.Unknown, "An error occurred while sending the request.",
                new IOException("The request was aborted.", new IOException("Unable to read data from the transport connection: Connection reset by peer.",
                    Socket(SocketError.ConnectionReset)))),
            _ => new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."),
        };
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Unreachable, await CliApp.ReportAsync(Failed(transport), error));
        Assert.Contains("TLS handshake", error.ToString());
    }

    [Fact]
    public async Task A_refused_connection_is_a_node_that_is_not_there_not_a_tls_failure()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused (127.0.0.1:1)", Socket(SocketError.ConnectionRefused));
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Unreachable, await CliApp.ReportAsync(Failed(refused), error));
        Assert.DoesNotContain("TLS handshake", error.ToString());
        Assert.StartsWith("unreachable: UNAVAILABLE", error.ToString());
    }
}
