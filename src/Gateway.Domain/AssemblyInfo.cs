namespace Gateway.Domain;
