// What every unit test file uses, said once.
global using System;
global using System.Collections.Generic;
global using System.Linq;
global using System.Net;
global using System.Net.Sockets;
global using System.Threading;
global using PSUdp.Engine;
global using PSUdp.Engine.Echo;
global using PSUdp.Engine.Icmp;
global using PSUdp.Engine.Interfaces;
global using PSUdp.Engine.Receive;
global using PSUdp.Engine.Send;
global using PSUdp.Engine.Sockets;
global using PSUdp.Engine.Text;
global using Xunit;
