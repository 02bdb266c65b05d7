namespace Gateway.ProvinceSimulator;

/// <summary>How the simulated origin answers enrolment checks; lets tests drive the return-letter paths.</summary>
public enum Behaviour
{
    /// <summary>Answer from the registry.</summary>
    Normal,
    /// <summary>Answer ACTIVE whatever the registry says (the person was never suspended).</summary>
    AnswerNotSuspended,
    /// <summary>Answer UNKNOWN_PERSON whatever the registry says.</summary>
    AnswerUnknownPerson,
}
