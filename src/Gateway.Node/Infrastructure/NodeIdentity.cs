namespace Gateway.Node.Infrastructure;

/// <summary>Which province this node is. A node acts only as itself.</summary>
public sealed record NodeIdentity(string Province);
