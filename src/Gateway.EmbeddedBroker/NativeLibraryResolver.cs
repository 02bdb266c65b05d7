using System.Reflection;
using System.Runtime.InteropServices;

namespace Gateway.EmbeddedBroker;

/// <summary>
/// Points our <c>[DllImport("librdkafka")]</c> at the very file Confluent.Kafka loads, so the mock
/// cluster and the clients share one copy of the library. The stock build needs libsasl2.so.3, which
/// Debian lacks; Confluent.Kafka then falls back to the centos8 build, and so do we.
/// </summary>
internal static class NativeLibraryResolver
{
    private static readonly object Gate = new();
    private static bool _registered;

    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryResolver).Assembly, Resolve);
            _registered = true;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != NativeMethods.Library) return IntPtr.Zero;
        var failures = new List<string>();
        foreach (var candidate in Candidates())
        {
            if (!File.Exists(candidate)) continue;
            try
            {
                return NativeLibrary.Load(candidate);
            }
            catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
            {
                failures.Add($"{candidate}: {ex.Message}");
            }
        }
        // Fall back to the system search path (a librdkafka installed by the OS).
        if (NativeLibrary.TryLoad(name, assembly, path, out var handle)) return handle;
        throw new DllNotFoundException(
            "librdkafka could not be loaded for the embedded broker. Tried: " + string.Join("; ", failures));
    }

    private static IEnumerable<string> Candidates()
    {
        var rid = RuntimeIdentifier();
        var fileNames = OperatingSystem.IsWindows() ? new[] { "librdkafka.dll" }
            : OperatingSystem.IsMacOS() ? new[] { "librdkafka.dylib" }
            : new[] { "librdkafka.so", "centos8-librdkafka.so" };
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(NativeLibraryResolver).Assembly.Location) }
            .Where(r => !string.IsNullOrEmpty(r)).Distinct();
        foreach (var root in roots)
        foreach (var file in fileNames)
            yield return Path.Combine(root!, "runtimes", rid, "native", file);
    }

    private static string RuntimeIdentifier()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var arch = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.Arm64 => "arm64",
            Architecture.X86 => "x86",
            Architecture.S390x => "s390x",
            _ => "x64",
        };
        return $"{os}-{arch}";
    }
}
