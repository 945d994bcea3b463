using System.Management.Automation;

namespace PSUdp.Commands;

/// <summary>
/// Turns a parameter's argument into what an engine resolver makes of it; an argument the
/// resolver refuses fails parameter binding with the resolver's message.
/// </summary>
public abstract class ResolvingTransformationAttribute : ArgumentTransformationAttribute
{
    private protected ResolvingTransformationAttribute()
    {
    }

    /// <summary>What the engine makes of the argument; throws UdpException when it is none.</summary>
    private protected abstract object Resolve(object? value);

    /// <summary>Resolves the argument; an unknown one fails parameter binding with a clear message.</summary>
    public sealed override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        try
        {
            return Resolve(value);
        }
        catch (UdpException e)
        {
            throw new ArgumentTransformationMetadataException(e.Message, e);
        }
    }
}
