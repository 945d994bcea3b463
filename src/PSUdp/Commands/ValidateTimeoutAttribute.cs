using System;
using System.Management.Automation;

namespace PSUdp.Commands;

/// <summary>Accepts a number of seconds greater than 0 and at most about 24 days.</summary>
public sealed class ValidateTimeoutAttribute : ValidateArgumentsAttribute
{
    /// <summary>The largest timeout a socket wait can take, in seconds (int.MaxValue milliseconds).</summary>
    internal const double MaximumSeconds = int.MaxValue / 1000.0;

    /// <summary>Throws when the value is not a usable timeout.</summary>
    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        object value = arguments is PSObject wrapped ? wrapped.BaseObject : arguments;
        double seconds = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
        if (double.IsNaN(seconds) || seconds <= 0 || seconds > MaximumSeconds)
        {
            throw new ValidationMetadataException(
                $"The timeout {value} is not valid. Give a number of seconds greater than 0 and at most {MaximumSeconds:0} (about 24 days), such as 0.5 or 30.");
        }
    }
}
