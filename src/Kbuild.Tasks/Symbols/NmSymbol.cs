namespace Kbuild.Symbols;

/// <summary>One line of <c>nm</c> / <c>System.map</c>: address, type letter, name.</summary>
public readonly record struct NmSymbol(ulong Address, char Type, string Name);
