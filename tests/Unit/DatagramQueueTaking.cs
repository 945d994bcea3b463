namespace PSUdp.Tests;

/// <summary>How the tests take datagrams off a listener's queue: through Drain, as the cmdlets do.</summary>
internal static class DatagramQueueTaking
{
    extension(DatagramQueue queue)
    {
        /// <summary>Takes one datagram if one comes within the timeout.</summary>
        internal bool TryTake(out UdpDatagram? datagram, int millisecondsTimeout, CancellationToken token)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(token);
            timeout.CancelAfter(millisecondsTimeout);
            try
            {
                datagram = queue.Drain(timeout.Token).FirstOrDefault();
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                datagram = null;
            }

            return datagram is not null;
        }

        /// <summary>True when the queue is completed and empty: Drain ends at once.</summary>
        internal bool IsFinished
        {
            get
            {
                using var moment = new CancellationTokenSource(200);
                try
                {
                    return !queue.Drain(moment.Token).Any();
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
    }
}
