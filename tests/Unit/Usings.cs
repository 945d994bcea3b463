// What every unit test file uses, said once.
global using System;
global using System.Collections.Generic;
global using System.Linq;
global using System.Net;
global using System.Net.Sockets;
global using System.Threading;
global using PSUdp.Engine;
global using Xunit;
