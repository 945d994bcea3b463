namespace System.Runtime.CompilerServices;

/// <summary>
/// What the compiler needs for init accessors (the properties of positional records) on
/// netstandard2.0; .NET 5 and later have their own, so this one stays internal.
/// </summary>
internal static class IsExternalInit
{
}
