namespace Gateway.Messaging;
