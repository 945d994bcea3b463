<#
    Tests tools/MarkdownHelp.psm1, the docs-to-help converter that build.ps1 runs. The proof is the
    last block: a compiled binary cmdlet, imported in a fresh pwsh with the generated help beside it,
    must show that help through Get-Help.
#>

BeforeAll {
    Import-Module "$PSScriptRoot/../../tools/MarkdownHelp.psm1" -Force
    Import-Module "$PSScriptRoot/PSUdpTestUtilities.psm1" -Force

    $docs = New-Item -ItemType Directory "$TestDrive/docs"
    Set-Content -LiteralPath "$docs/Get-MamlSample.md" -Value @'
---
external help file: MamlSample.dll-Help.xml
Module Name: MamlSample
online version: https://example.invalid/online
schema: 2.0.0
---

# Get-MamlSample

## SYNOPSIS
Gets a sample item for the MAML converter test.

## SYNTAX

### ByName (Default)
```
Get-MamlSample [-Name] <String> [-Mode <String>] [-Force] [<CommonParameters>]
```

### ById
```
Get-MamlSample -Id <Int32> [-Mode <String>] [<CommonParameters>]
```

## DESCRIPTION
The Get-MamlSample cmdlet returns a sample item. Values < 10 & "quoted"
text survive XML escaping.

A second paragraph of the description.

- first list item
- second list item

```powershell
# a comment in a fence, not a heading
Get-MamlSample -Name beta
```

## EXAMPLES

### Example 1: Get an item by name
```powershell
PS> Get-MamlSample -Name 'alpha*'
```

The remark that explains example one.

```
Output line one
```

### Example 2: Get an item by id
```powershell
PS> [pscustomobject]@{ Id = 42 } | Get-MamlSample
```

The remark that explains example two.

## PARAMETERS

### -Force
Forces the sample to be created.

```yaml
Type: SwitchParameter
Parameter Sets: ByName
Aliases:

Required: False
Position: Named
Default value: None
Accept pipeline input: False
Accept wildcard characters: False
```

### -Id
The identifier of the sample item.

```yaml
Type: Int32
Parameter Sets: ById
Aliases: SampleId

Required: True
Position: Named
Default value: None
Accept pipeline input: True (ByPropertyName)
Accept wildcard characters: False
```

### -Mode
How the sample is made.

```yaml
Type: String
Parameter Sets: (All)
Aliases:
Accepted values: Fast, Slow

Required: False
Position: Named
Default value: Fast
Accept pipeline input: False
Accept wildcard characters: False
```

### -Name
The name of the sample item.

```yaml
Type: String
Parameter Sets: ByName
Aliases: SampleName, sn

Required: True
Position: 0
Default value: None
Accept pipeline input: True (ByValue)
Accept wildcard characters: True
```

### CommonParameters
This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, -InformationAction, -InformationVariable, -OutVariable, -OutBuffer, -PipelineVariable, -Verbose, -WarningAction, and -WarningVariable. For more information, see [about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).

## INPUTS

### System.String
A name to look up.

## OUTPUTS

### System.String
The sample item, as text.

## NOTES
A note about the sample.

## RELATED LINKS

[about_MamlSample](about_MamlSample.md)

[Sample site](https://example.invalid/get-mamlsample)
'@
    # The module page: PlatyPS front matter without 'external help file', so not a cmdlet.
    Set-Content -LiteralPath "$docs/MamlSample.md" -Value @'
---
Module Name: MamlSample
Module Guid: 5a3f2f4e-8d0b-4c55-9a55-2f0f5a0b6c11
Help Version: 0.1.0
Locale: en-US
---

# MamlSample Module
## Description
The sample module.

## MamlSample Cmdlets
### [Get-MamlSample](Get-MamlSample.md)
Gets a sample item.
'@
    Set-Content -LiteralPath "$docs/about_MamlSample.md" -Value @'
# about_MamlSample

## Short description
Describes the MamlSample module.

## Long description
The MamlSample module exists so that the markdown help converter can be tested end to end, with a line long enough to be wrapped at eighty columns.

### Using it
- a list item that is long enough to need wrapping when the about topic is written as text
- a short item

```powershell
Get-MamlSample -Name alpha   # a code line is never wrapped, however long it happens to be when written
```

## See also
[Get-MamlSample](Get-MamlSample.md)
'@

    $page = Read-MarkdownHelp -Path "$docs/Get-MamlSample.md"
    # A PowerShell path on purpose: XmlWriter and File.WriteAllLines need it resolved first.
    $mamlFile = ConvertTo-MamlHelp -Path $docs -OutputPath 'TestDrive:/MamlSample.dll-Help.xml'
    $aboutFile = ConvertTo-AboutHelp -Path "$docs/about_MamlSample.md" -OutputPath 'TestDrive:/about_MamlSample.help.txt'

    $namespaces = @{
        msh     = 'http://msh'
        maml    = 'http://schemas.microsoft.com/maml/2004/10'
        command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
        dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    }
    function Select-Maml([string] $XPath) {
        @(Select-Xml -LiteralPath $mamlFile.FullName -XPath $XPath -Namespace $namespaces | ForEach-Object Node)
    }
}

Describe 'Read-MarkdownHelp' {
    It 'reads the name and synopsis' {
        $page.Name | Should -Be 'Get-MamlSample'
        $page.Synopsis | Should -Be 'Gets a sample item for the MAML converter test.'
    }

    It 'reads the description as paragraphs: joined lines, one per list item, fenced code verbatim' {
        $page.Description | Should -Be @(
            'The Get-MamlSample cmdlet returns a sample item. Values < 10 & "quoted" text survive XML escaping.'
            'A second paragraph of the description.'
            '- first list item'
            '- second list item'
            "# a comment in a fence, not a heading`nGet-MamlSample -Name beta"
        )
    }

    It 'reads each syntax block with its parameter set and whether it is the default' {
        $page.Syntax.ParameterSetName | Should -Be 'ByName', 'ById'
        $page.Syntax.IsDefault | Should -Be $true, $false
        $page.Syntax[1].Text | Should -Be 'Get-MamlSample -Id <Int32> [-Mode <String>] [<CommonParameters>]'
    }

    It 'reads the parameters, not CommonParameters' {
        $page.Parameters.Name | Should -Be 'Force', 'Id', 'Mode', 'Name'
    }

    It 'reads every yaml field of a parameter' {
        $name = $page.Parameters | Where-Object Name -EQ 'Name'
        $name.Description | Should -Be 'The name of the sample item.'
        $name.Type | Should -Be 'String'
        $name.ParameterSets | Should -Be 'ByName'
        $name.Aliases | Should -Be 'SampleName', 'sn'
        $name.Required | Should -BeTrue
        $name.Position | Should -Be '0'
        $name.DefaultValue | Should -Be 'None'
        $name.PipelineInput | Should -Be 'True (ByValue)'
        $name.Globbing | Should -BeTrue

        $mode = $page.Parameters | Where-Object Name -EQ 'Mode'
        $mode.AcceptedValues | Should -Be 'Fast', 'Slow'
        $mode.ParameterSets | Should -Be '(All)'
        $mode.Aliases | Should -BeNullOrEmpty
        $mode.Required | Should -BeFalse
        $mode.Position | Should -Be 'Named'
    }

    It 'reads inputs, outputs and notes' {
        $page.Inputs.TypeName | Should -Be 'System.String'
        $page.Inputs.Description | Should -Be 'A name to look up.'
        $page.Outputs.Description | Should -Be 'The sample item, as text.'
        $page.Notes | Should -Be 'A note about the sample.'
    }

    It 'reads each example: title, the powershell block as code, the rest as remarks' {
        $page.Examples.Title | Should -Be 'Example 1: Get an item by name', 'Example 2: Get an item by id'
        $page.Examples[0].Code | Should -Be "PS> Get-MamlSample -Name 'alpha*'"
        $page.Examples[0].Remarks | Should -Be 'The remark that explains example one.', 'Output line one'
    }

    It 'reads the related links' {
        $page.Links.Text | Should -Be 'about_MamlSample', 'Sample site'
        $page.Links.Uri | Should -Be 'about_MamlSample.md', 'https://example.invalid/get-mamlsample'
    }

    It 'refuses a parameter with one yaml block per parameter set rather than keep only the first' {
        $other = New-Item -ItemType Directory "$TestDrive/twoblocks"
        $yaml = "``````yaml`nType: String`nParameter Sets: A`nRequired: True`n``````"
        Set-Content -LiteralPath "$other/Get-Two.md" -Value "# Get-Two`n`n## PARAMETERS`n`n### -Name`nText.`n`n$yaml`n`n$yaml"
        { Read-MarkdownHelp -Path "$other/Get-Two.md" } | Should -Throw '*-Name*2 yaml blocks*'
    }
}

Describe 'ConvertTo-MamlHelp' {
    It 'writes well-formed MAML with one command per cmdlet page, skipping the module and about pages' {
        { [xml](Get-Content -Raw -LiteralPath $mamlFile.FullName) } | Should -Not -Throw
        (Select-Maml '/msh:helpItems').schema | Should -Be 'maml'
        (Select-Maml '/msh:helpItems/command:command/command:details/command:name').InnerText | Should -Be 'Get-MamlSample'
        (Select-Maml '//command:details/command:verb').InnerText | Should -Be 'Get'
        (Select-Maml '//command:details/command:noun').InnerText | Should -Be 'MamlSample'
    }

    It 'declares the maml, command, dev and MSHelp namespaces on the command' {
        $command = Select-Maml '//command:command'
        $command.GetAttribute('xmlns:maml') | Should -Be 'http://schemas.microsoft.com/maml/2004/10'
        $command.GetAttribute('xmlns:dev') | Should -Be 'http://schemas.microsoft.com/maml/dev/2004/10'
        $command.GetAttribute('xmlns:MSHelp') | Should -Be 'http://msdn.microsoft.com/mshelp'
    }

    It 'writes the synopsis and one para per description paragraph, escaping XML' {
        (Select-Maml '//command:details/maml:description/maml:para').InnerText | Should -Be $page.Synopsis
        (Select-Maml '/msh:helpItems/command:command/maml:description/maml:para').InnerText | Should -Be $page.Description
        Get-Content -Raw -LiteralPath $mamlFile.FullName | Should -Match 'Values &lt; 10 &amp; "quoted"'
    }

    It 'writes one syntax item per set, with the parameters the set''s syntax line names, in its order' {
        $items = Select-Maml '//command:syntax/command:syntaxItem'
        $items.Count | Should -Be 2
        $items[0].parameter.name | Should -Be 'Name', 'Mode', 'Force'
        $items[1].parameter.name | Should -Be 'Id', 'Mode'
        (Select-Maml "//command:syntaxItem/command:parameter[maml:name='Mode']/command:parameterValueGroup/command:parameterValue")[0..1].InnerText |
            Should -Be 'Fast', 'Slow'
        # A switch shows no '<SwitchParameter>' value in the syntax.
        Select-Maml "//command:syntaxItem/command:parameter[maml:name='Force']/command:parameterValue" | Should -BeNullOrEmpty
    }

    It 'writes each parameter''s attributes, type and default value' {
        $name = Select-Maml "//command:parameters/command:parameter[maml:name='Name']"
        $name.required | Should -Be 'true'
        $name.position | Should -Be '0'
        $name.pipelineInput | Should -Be 'True (ByValue)'
        $name.globbing | Should -Be 'true'
        $name.aliases | Should -Be 'SampleName, sn'
        $name.type.name | Should -Be 'String'
        $name.description.para | Should -Be 'The name of the sample item.'

        $id = Select-Maml "//command:parameters/command:parameter[maml:name='Id']"
        $id.position | Should -Be 'named'
        $id.pipelineInput | Should -Be 'True (ByPropertyName)'
        $id.aliases | Should -Be 'SampleId'
        (Select-Maml "//command:parameters/command:parameter[maml:name='Mode']").aliases | Should -Be 'none'
        (Select-Maml "//command:parameters/command:parameter[maml:name='Force']").defaultValue | Should -Be 'False'
    }

    It 'writes the input and output types, notes, and examples with title, code and remarks' {
        (Select-Maml '//command:inputTypes/command:inputType/dev:type/maml:name').InnerText | Should -Be 'System.String'
        (Select-Maml '//command:returnValues/command:returnValue/maml:description/maml:para').InnerText | Should -Be 'The sample item, as text.'
        (Select-Maml '//maml:alertSet/maml:alert/maml:para').InnerText | Should -Be 'A note about the sample.'
        $examples = Select-Maml '//command:examples/command:example'
        $examples.Count | Should -Be 2
        $examples[0].title | Should -Match '^-+ Example 1: Get an item by name -+$'
        $examples[0].code | Should -Be "PS> Get-MamlSample -Name 'alpha*'"
        $examples[0].remarks.para | Should -Be 'The remark that explains example one.', 'Output line one'
    }

    It 'writes the online version first, then the links, keeping only absolute uris' {
        $links = Select-Maml '//command:relatedLinks/maml:navigationLink'
        $links.linkText | Should -Be 'Online Version:', 'about_MamlSample', 'Sample site'
        $links[0].uri | Should -Be 'https://example.invalid/online'
        $links[1].uri | Should -BeNullOrEmpty
        $links[2].uri | Should -Be 'https://example.invalid/get-mamlsample'
    }

    It 'fails when the folder holds no cmdlet page' {
        $empty = New-Item -ItemType Directory "$TestDrive/nopages"
        Copy-Item "$docs/about_MamlSample.md", "$docs/MamlSample.md" $empty
        { ConvertTo-MamlHelp -Path $empty -OutputPath "$TestDrive/none.xml" } | Should -Throw '*No cmdlet page*'
    }
}

Describe 'ConvertTo-AboutHelp' {
    BeforeAll {
        $about = Get-Content -LiteralPath $aboutFile.FullName
    }

    It 'starts with TOPIC and the topic name, then upper-case section headings' {
        $about[0..1] | Should -Be 'TOPIC', '    about_MamlSample'
        $about | Should -Contain 'SHORT DESCRIPTION'
        $about | Should -Contain 'LONG DESCRIPTION'
        $about | Should -Contain 'SEE ALSO'
        $about[$about.IndexOf('SHORT DESCRIPTION') + 1] | Should -Be '    Describes the MamlSample module.'
    }

    It 'wraps text at 80 columns, indented by 4, list items with a hanging indent' {
        $about | Where-Object { $_ -notmatch '^ {8}Get-MamlSample' -and $_.Length -gt 80 } | Should -BeNullOrEmpty
        $about | Should -Contain '    - a list item that is long enough to need wrapping when the about topic is'
        $about | Should -Contain '      written as text'
    }

    It 'indents code by 8 and never wraps it; a link to a page becomes its text' {
        $about | Should -Contain '        Get-MamlSample -Name alpha   # a code line is never wrapped, however long it happens to be when written'
        $about[-1] | Should -Be '    Get-MamlSample'
    }
}

Describe 'Get-Help on a binary module with the generated help' {
    BeforeAll {
        # A binary module cannot be unloaded, so it is compiled and imported in a fresh pwsh.
        Set-Content -LiteralPath "$TestDrive/GetMamlSample.cs" -Value @'
using System.Management.Automation;

namespace MamlSample
{
    [Cmdlet(VerbsCommon.Get, "MamlSample", DefaultParameterSetName = "ByName")]
    [OutputType(typeof(string))]
    public sealed class GetMamlSampleCommand : PSCmdlet
    {
        [Parameter(Mandatory = true, Position = 0, ParameterSetName = "ByName", ValueFromPipeline = true)]
        [Alias("SampleName", "sn")]
        [SupportsWildcards]
        public string Name { get; set; }

        [Parameter(Mandatory = true, ParameterSetName = "ById", ValueFromPipelineByPropertyName = true)]
        [Alias("SampleId")]
        public int Id { get; set; }

        [Parameter]
        [ValidateSet("Fast", "Slow")]
        public string Mode { get; set; } = "Fast";

        [Parameter(ParameterSetName = "ByName")]
        public SwitchParameter Force { get; set; }

        protected override void ProcessRecord() => WriteObject(Name ?? Id.ToString());
    }
}
'@
        Set-Content -LiteralPath "$TestDrive/ShowHelp.ps1" -Value @'
param([string] $Source, [string] $ModuleBase, [string] $MamlFile, [string] $AboutFile)
$ErrorActionPreference = 'Stop'
New-Item -ItemType Directory -Force "$ModuleBase/en-US" | Out-Null
Add-Type -Path $Source -OutputAssembly "$ModuleBase/MamlSample.dll" -OutputType Library
New-ModuleManifest "$ModuleBase/MamlSample.psd1" -RootModule 'MamlSample.dll' -CmdletsToExport 'Get-MamlSample' -ModuleVersion '0.1.0'
Copy-Item $MamlFile, $AboutFile "$ModuleBase/en-US"
Import-Module "$ModuleBase/MamlSample.psd1"
@{
    Full  = Get-Help Get-MamlSample -Full | Out-String -Width 250
    About = Get-Help about_MamlSample | Out-String -Width 250
} | ConvertTo-Json
'@
        $pwsh = @(Get-PwshCommand)
        $arguments = @($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-File', "$TestDrive/ShowHelp.ps1",
            '-Source', "$TestDrive/GetMamlSample.cs", '-ModuleBase', "$TestDrive/MamlSample", '-MamlFile', $mamlFile.FullName, '-AboutFile', $aboutFile.FullName)
        $output = & $pwsh[0] @arguments 2>&1 | Out-String
        if ($LASTEXITCODE) { throw "The fresh pwsh failed (exit code $LASTEXITCODE): $output" }
        $help = $output | ConvertFrom-Json
        $full = $help.Full -replace '\r'

        # The lines Get-Help prints for one parameter: from its '-Name <Type>' line to the next parameter.
        function Get-ParameterHelp([string] $Name) {
            if ($full -match "(?ms)^    -$Name\b.*?(?=^    -|^    <CommonParameters>)") { $Matches[0] } else { '' }
        }
    }

    It 'shows the synopsis and every description paragraph, unescaped' {
        $full | Should -Match 'SYNOPSIS\s+Gets a sample item for the MAML converter test\.'
        foreach ($paragraph in $page.Description -split "`n") {
            $full | Should -Match ([regex]::Escape($paragraph))
        }
        $full | Should -Match 'Values < 10 & "quoted" text survive XML escaping\.'
    }

    It 'shows one syntax line per parameter set, with the accepted values' {
        $full | Should -Match ([regex]::Escape('Get-MamlSample [-Name] <String> [-Mode {Fast | Slow}] [-Force] [<CommonParameters>]'))
        $full | Should -Match ([regex]::Escape('Get-MamlSample -Id <Int32> [-Mode {Fast | Slow}] [<CommonParameters>]'))
    }

    It 'shows -<Name> with its description, type, aliases, pipeline input and the rest' -ForEach @(
        @{ Name = 'Name'; Heading = '-Name <String>'; Text = 'The name of the sample item.'; Required = 'true'; Position = '0'; Default = 'None'; Pipeline = 'True (ByValue)'; Aliases = 'SampleName, sn'; Wildcards = 'true' }
        @{ Name = 'Id'; Heading = '-Id <Int32>'; Text = 'The identifier of the sample item.'; Required = 'true'; Position = 'named'; Default = 'None'; Pipeline = 'True (ByPropertyName)'; Aliases = 'SampleId'; Wildcards = 'false' }
        @{ Name = 'Mode'; Heading = '-Mode <String>'; Text = 'How the sample is made.'; Required = 'false'; Position = 'named'; Default = 'Fast'; Pipeline = 'False'; Aliases = 'none'; Wildcards = 'false' }
        @{ Name = 'Force'; Heading = '-Force [<SwitchParameter>]'; Text = 'Forces the sample to be created.'; Required = 'false'; Position = 'named'; Default = 'False'; Pipeline = 'False'; Aliases = 'none'; Wildcards = 'false' }
    ) {
        $block = Get-ParameterHelp $Name
        $block | Should -Not -BeNullOrEmpty
        $block | Should -Match ('^    ' + [regex]::Escape($Heading) + '\s*\n\s+' + [regex]::Escape($Text))
        $block | Should -Match "Required\?\s+$Required\s"
        $block | Should -Match "Position\?\s+$Position\s"
        $block | Should -Match "Default value\s+$Default\s"
        $block | Should -Match ('Accept pipeline input\?\s+' + [regex]::Escape($Pipeline) + '\s')
        $block | Should -Match ('Aliases\s+' + [regex]::Escape($Aliases) + '\s')
        $block | Should -Match "Accept wildcard characters\?\s+$Wildcards\s"
    }

    It 'shows the input and output types with their descriptions' {
        $full | Should -Match 'INPUTS\s+System\.String\s+A name to look up\.'
        $full | Should -Match 'OUTPUTS\s+System\.String\s+The sample item, as text\.'
    }

    It 'shows the notes' {
        $full | Should -Match 'NOTES\s+A note about the sample\.'
    }

    It 'shows every example''s title, code and remarks' {
        foreach ($example in $page.Examples) {
            $full | Should -Match ('-+ ' + [regex]::Escape($example.Title) + ' -+\s+' + [regex]::Escape($example.Code))
            foreach ($remark in $example.Remarks) { $full | Should -Match ([regex]::Escape($remark)) }
        }
    }

    It 'shows the related links with their uris' {
        $full | Should -Match 'RELATED LINKS\s+Online Version: https://example\.invalid/online\s+about_MamlSample\s+Sample site https://example\.invalid/get-mamlsample'
    }

    It 'shows the about topic from the module''s en-US folder' {
        $aboutHelp = $help.About -replace '\r'
        $aboutHelp | Should -Match 'TOPIC\s+about_MamlSample\s+SHORT DESCRIPTION\s+Describes the MamlSample module\.'
        $aboutHelp | Should -Match 'LONG DESCRIPTION\s+The MamlSample module exists so that the markdown help converter'
        $aboutHelp | Should -Match ' {8}Get-MamlSample -Name alpha'
    }
}
