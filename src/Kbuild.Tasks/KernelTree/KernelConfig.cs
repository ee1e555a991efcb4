using Kbuild.Diagnostics;

namespace Kbuild.KernelTree;

/// <summary>The configuration a kernel build uses: <c>include/config/auto.conf</c> (what make and
/// scripts/link-vmlinux.sh read), <c>CONFIG_X=value</c> per enabled option.</summary>
public sealed class KernelConfig
{
    private readonly Dictionary<string, string> _values;

    private KernelConfig(string path, Dictionary<string, string> values)
    {
        Path = path;
        _values = values;
    }

    /// <summary>The auto.conf file read.</summary>
    public string Path { get; }

    public static string AutoConfPath(string buildDir) =>
        System.IO.Path.Combine(buildDir, "include", "config", "auto.conf");

    /// <summary>Reads <c>include/config/auto.conf</c> of a configured build directory.</summary>
    public static KernelConfig Load(string buildDir)
    {
        var path = AutoConfPath(buildDir);
        if (!File.Exists(path))
            throw new KbuildException(ErrorCodes.KernelBuildDirNotConfigured, buildDir,
                $"'{buildDir}' is not a configured kernel build directory ({path} does not exist): " +
                "set KernelBuildDir to the O= directory of a kernel build and run 'make olddefconfig' (or a full 'make') there first.");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var eq = line.IndexOf('=');
            if (eq > 0) values[line[..eq]] = Unquote(line[(eq + 1)..]);
        }
        return new KernelConfig(path, values);
    }

    /// <summary>The value of an option (<c>"y"</c>, <c>"m"</c>, a number or an unquoted string), or
    /// null when it is not set. The <c>CONFIG_</c> prefix is optional.</summary>
    public string? this[string option] => _values.GetValueOrDefault(Qualify(option));

    /// <summary>True for <c>=y</c> — what link-vmlinux.sh's <c>is_enabled</c> tests.</summary>
    public bool IsEnabled(string option) => this[option] == "y";

    private static string Qualify(string option) => option.StartsWith("CONFIG_", StringComparison.Ordinal) ? option : "CONFIG_" + option;

    private static string Unquote(string value) =>
        value.Length >= 2 && value[0] == '"' && value[^1] == '"'
            ? value[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal)
            : value;
}
