using System.Security;
using Kbuild.Tests;

namespace Kbuild.Sdk.Tests;

/// <summary>
/// The kernel.kproj a kernel test writes: this repository's Sdk.props, the properties given (values escaped for XML),
/// any further body (items, targets), this repository's Sdk.targets.
/// </summary>
public static class KernelProject
{
    public static string Write(string path, IEnumerable<(string Name, string Value)> properties, string body = "", string afterTargets = "")
    {
        var propertyLines = string.Concat(properties.Select(p => $"\n    <{p.Name}>{SecurityElement.Escape(p.Value)}</{p.Name}>"));
        File.WriteAllText(path, $"""
            <Project>
              <Import Project="{RepoPaths.Root}/src/Kbuild.Sdk/Sdk/Sdk.props" />
              <PropertyGroup>{propertyLines}
              </PropertyGroup>
              {body}
              <Import Project="{RepoPaths.Root}/src/Kbuild.Sdk/Sdk/Sdk.targets" />
              {afterTargets}
            </Project>
            """);
        return path;
    }
}
