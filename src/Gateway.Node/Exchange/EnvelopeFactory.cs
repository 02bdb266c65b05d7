using Gateway.Contracts.Exchange.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Gateway.Node.Infrastructure;
using Gateway.Messaging.Signing;

namespace Gateway.Node.Exchange;

/// <summary>Builds envelopes for this node. Message ids are derived from the causing step so a
/// re-send or a replayed step carries the same id and the receiver's inbox absorbs it. Every envelope is signed here,
/// once: the outbox stores the signed bytes and re-sends reuse them (the signature leaves out <c>attempt</c>).</summary>
public sealed class EnvelopeFactory(NodeIdentity node, BusinessClock clock, EnvelopeSigner signer)
{
    public const string SchemaVersion = "1.0";

    public Envelope Create(string receiverProvince, string transferId, string step, IMessage payload, string? causationId = null) =>
        Signed(new Envelope
        {
            MessageId = StepMessageId(node.Province, transferId, step),
            MessageType = payload.Descriptor.Name,
            SenderProvince = node.Province,
            ReceiverProvince = receiverProvince,
            CorrelationId = transferId,
            CausationId = causationId ?? "",
            SentAt = Timestamp.FromDateTimeOffset(clock.UtcNow),
            SchemaVersion = SchemaVersion,
            Payload = payload.ToByteString(),
            Attempt = 1
        });

    /// <summary>Receipts need no receipt and no stable id: marking a message delivered twice is harmless.</summary>
    public Envelope CreateReceipt(string receiverProvince, Receipt receipt) =>
        Signed(new Envelope
        {
            MessageId = $"{node.Province}:receipt:{Guid.CreateVersion7():N}",
            MessageType = Receipt.Descriptor.Name,
            SenderProvince = node.Province,
            ReceiverProvince = receiverProvince,
            SentAt = Timestamp.FromDateTimeOffset(clock.UtcNow),
            SchemaVersion = SchemaVersion,
            Payload = receipt.ToByteString(),
            Attempt = 1
        });

    private Envelope Signed(Envelope envelope)
    {
        signer.Sign(envelope);
        return envelope;
    }

    public static string StepMessageId(string senderProvince, string transferId, string step) =>
        $"{senderProvince}:{transferId}:{step}";
}
