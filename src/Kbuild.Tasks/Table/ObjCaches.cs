namespace Kbuild.Table;

/// <summary>
/// What a build keeps in obj/ for the next one, by name (Sdk.targets' KbuildClean removes the same names): the
/// prediction writes the inputs' symbols, its memo and LTO stand-ins; the reservation writes the compressed names
/// the patch reads.
/// </summary>
public static class ObjCaches
{
    public const string Symbols = "kallsyms.symbols.cache";
    public const string PredictionMemo = "kallsyms.prediction.memo";
    public const string Names = "kallsyms.names.cache";
    public const string StandIns = "lto-stand-ins";

    /// <summary>The cache <paramref name="name"/> in the directory of <paramref name="fileInObj"/>.</summary>
    public static string Beside(string fileInObj, string name) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fileInObj))!, name);
}
