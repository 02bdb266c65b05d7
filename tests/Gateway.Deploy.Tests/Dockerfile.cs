using System.Text;
using System.Text.Json;

namespace Gateway.Deploy.Tests;

/// <summary>
/// Just enough of a Dockerfile reader for the tests: instructions per stage (continuations joined, comments dropped),
/// shell-form RUN lines split into words, exec-form (JSON) CMD/ENTRYPOINT, ENV key=value pairs.
/// </summary>
public sealed class Dockerfile
{
    public sealed record Instruction(string Keyword, string Arguments);

    public sealed record Stage(string Image, string? Name, IReadOnlyList<Instruction> Instructions)
    {
        public IEnumerable<string> All(string keyword) =>
            Instructions.Where(i => i.Keyword.Equals(keyword, StringComparison.OrdinalIgnoreCase)).Select(i => i.Arguments);

        /// <summary>ENV pairs in order (key=value form, values unquoted).</summary>
        public IReadOnlyDictionary<string, string> Environment()
        {
            var env = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in All("ENV"))
                foreach (var word in Words(line))
                {
                    var eq = word.IndexOf('=');
                    if (eq <= 0) throw new FormatException($"ENV '{line}': only the key=value form is read");
                    env[word[..eq]] = word[(eq + 1)..];
                }
            return env;
        }

        /// <summary>The exec form of ENTRYPOINT, or of HEALTHCHECK's CMD.</summary>
        public IReadOnlyList<string> Exec(string keyword)
        {
            var text = All(keyword).Last();
            if (keyword.Equals("HEALTHCHECK", StringComparison.OrdinalIgnoreCase))
                text = text[(text.IndexOf("CMD", StringComparison.Ordinal) + 3)..];
            return JsonSerializer.Deserialize<string[]>(text.Trim()) ?? throw new FormatException($"{keyword} is not in exec form: {text}");
        }
    }

    public Dockerfile(string path)
    {
        Path = path;
        var stages = new List<Stage>();
        List<Instruction>? current = null;
        foreach (var (keyword, arguments) in Read(File.ReadAllLines(path)))
        {
            if (keyword.Equals("FROM", StringComparison.OrdinalIgnoreCase))
            {
                var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                current = [];
                stages.Add(new Stage(words[0], words.Length >= 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null, current));
            }
            else (current ?? throw new FormatException($"{path}: {keyword} before FROM")).Add(new Instruction(keyword.ToUpperInvariant(), arguments));
        }
        Stages = stages;
    }

    public string Path { get; }
    public IReadOnlyList<Stage> Stages { get; }
    public Stage this[string name] => Stages.Single(s => s.Name == name);
    public Stage Final => Stages[^1];

    /// <summary>A shell-form line split into words as sh would (quotes, backslash escapes; no expansion).</summary>
    public static List<string> Words(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote is { } q)
            {
                if (c == q) quote = null;
                else if (c == '\\' && q == '"' && i + 1 < line.Length) word.Append(line[++i]);
                else word.Append(c);
            }
            else if (c is '"' or '\'') { quote = c; inWord = true; }
            else if (c == '\\' && i + 1 < line.Length) { word.Append(line[++i]); inWord = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(word.ToString());
                word.Clear();
                inWord = false;
            }
            else { word.Append(c); inWord = true; }
        }
        if (quote is not null) throw new FormatException($"unterminated quote in: {line}");
        if (inWord) words.Add(word.ToString());
        return words;
    }

    private static IEnumerable<(string Keyword, string Arguments)> Read(string[] lines)
    {
        var logical = new StringBuilder();
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && logical.Length == 0)) continue; // comments (and parser directives)
            if (line.EndsWith('\\'))
            {
                logical.Append(line[..^1]).Append(' ');
                continue;
            }
            logical.Append(line);
            var text = logical.ToString().Trim();
            logical.Clear();
            if (text.Length == 0) continue;
            var space = text.IndexOf(' ');
            yield return space < 0 ? (text, "") : (text[..space], text[(space + 1)..].Trim());
        }
        if (logical.Length > 0) throw new FormatException("the Dockerfile ends in a line continuation");
    }
}
