<#
.SYNOPSIS
    Turns help pages written in PlatyPS's markdown schema (2.0.0) into MAML and about-topic text.

.DESCRIPTION
    PlatyPS is not in any registry this machine reaches (DESIGN.md, "Toolchain facts"), so the build
    converts docs/en-US itself. Only the subset of the schema that PlatyPS 0.14 writes is read.
#>

Set-StrictMode -Version Latest

$script:Namespaces = [ordered]@{
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    MSHelp  = 'http://msdn.microsoft.com/mshelp'
}
$script:ListItem = '^([-*+]|\d+\.)\s|^\|'

#region Markdown reading

# Separates the '---' front matter (key: value lines) from the body lines.
function Split-FrontMatter([string[]] $Lines) {
    $meta = @{}
    if ($null -eq $Lines) { $Lines = @() }  # Get-Content of an empty file
    if ($Lines.Count -gt 1 -and $Lines[0].Trim() -eq '---') {
        for ($i = 1; $i -lt $Lines.Count; $i++) {
            if ($Lines[$i].Trim() -eq '---') {
                return [pscustomobject]@{ Meta = $meta; Body = [string[]]($Lines | Select-Object -Skip ($i + 1)) }
            }
            if ($Lines[$i] -match '^([^:]+):\s*(.*)$') { $meta[$Matches[1].Trim()] = $Matches[2].Trim() }
        }
    }
    [pscustomobject]@{ Meta = $meta; Body = $Lines }
}

# Cuts lines into blocks: headings, fenced code (verbatim, with its language) and blank-line separated
# text; a '#' inside a fence is code, not a heading.
function Get-Block([string[]] $Lines) {
    $text = [Collections.Generic.List[string]]::new()
    $code = $null
    $language = ''
    foreach ($line in @($Lines) + '') {
        if ($null -ne $code) {
            if ($line -match '^\s*```\s*$') {
                [pscustomobject]@{ Kind = 'Code'; Level = 0; Language = $language; Text = $code -join "`n" }
                $code = $null
            }
            else { $code.Add($line) }
            continue
        }
        $isFence = $line -match '^\s*```\s*(\S*)'
        if ($isFence) { $language = $Matches[1] }
        $heading = if ($line -match '^(#+)\s+(.+?)\s*$') { $Matches }
        if ($text.Count -and ($isFence -or $heading -or -not $line.Trim())) {
            [pscustomobject]@{ Kind = 'Text'; Level = 0; Language = ''; Text = $text -join "`n" }
            $text.Clear()
        }
        if ($isFence) { $code = [Collections.Generic.List[string]]::new() }
        elseif ($heading) { [pscustomobject]@{ Kind = 'Heading'; Level = $heading[1].Length; Language = ''; Text = $heading[2] } }
        elseif ($line.Trim()) { $text.Add($line.Trim()) }
    }
}

# Groups blocks under the headings of one level: Title plus the blocks up to the next such heading.
function Split-Section([object[]] $Blocks, [int] $Level) {
    $current = $null
    foreach ($block in $Blocks) {
        if ($block.Kind -eq 'Heading' -and $block.Level -eq $Level) {
            if ($current) { $current }
            $current = [pscustomobject]@{ Title = $block.Text; Blocks = [Collections.Generic.List[object]]::new() }
        }
        elseif ($current) { $current.Blocks.Add($block) }
    }
    if ($current) { $current }
}

# Text as Get-Help and about topics show it: markdown escapes and link targets to .md pages removed.
function ConvertFrom-MarkdownText([string] $Text) {
    $Text = $Text -replace '\[([^\]]+)\]\(([^)]*\.md)\)', '$1' -replace '\[([^\]]+)\]\(([^)]+)\)', '$1 ($2)'
    $Text -replace '\\([\\`*_{}\[\]()#+\-.!<>|])', '$1'
}

# Joins a text block's soft-wrapped lines into paragraphs; list items and table rows stay separate.
function Join-Line([string] $Text) {
    $paragraph = ''
    foreach ($line in $Text -split "`n") {
        if ($paragraph -and $line -match $script:ListItem) { $paragraph; $paragraph = '' }
        $paragraph = "$paragraph $(ConvertFrom-MarkdownText $line)".Trim()
    }
    if ($paragraph) { $paragraph }
}

# Paragraphs of a section, one per text paragraph, list item or code block (kept verbatim).
function Get-Paragraph([object[]] $Blocks) {
    foreach ($block in $Blocks) {
        if ($block.Kind -eq 'Code') { $block.Text } else { Join-Line $block.Text }
    }
}

# The fields of a parameter's ```yaml block. PlatyPS writes one block per set when the sets differ
# (say, mandatory in one only); this reader does not merge those, so it refuses them loudly.
function Read-Parameter($Section) {
    $yaml = @{}
    $yamlBlock = @($Section.Blocks | Where-Object Language -EQ 'yaml')
    if ($yamlBlock.Count -gt 1) {
        throw "Parameter '$($Section.Title)' has $($yamlBlock.Count) yaml blocks; write one block per parameter."
    }
    if ($yamlBlock) {
        foreach ($line in $yamlBlock[0].Text -split "`n") {
            if ($line -match '^([^:]+):\s*(.*)$') { $yaml[$Matches[1].Trim()] = $Matches[2].Trim() }
        }
    }
    $list = { param($key) @("$($yaml[$key])" -split ',' | ForEach-Object Trim | Where-Object { $_ }) }
    [pscustomobject]@{
        Name           = $Section.Title.TrimStart('-')
        Description    = @(Get-Paragraph ($Section.Blocks | Where-Object Language -NE 'yaml'))
        Type           = "$($yaml['Type'])"
        ParameterSets  = & $list 'Parameter Sets'
        Aliases        = & $list 'Aliases'
        AcceptedValues = & $list 'Accepted values'
        Required       = $yaml['Required'] -eq 'True'
        Position       = if ($yaml['Position']) { $yaml['Position'] } else { 'Named' }
        DefaultValue   = if ($yaml['Default value']) { $yaml['Default value'] } else { 'None' }
        PipelineInput  = if ($yaml['Accept pipeline input']) { $yaml['Accept pipeline input'] } else { 'False' }
        Globbing       = $yaml['Accept wildcard characters'] -eq 'True'
    }
}

# An example: its first powershell block is the code; everything else, in order, is the remarks.
function Read-Example($Section) {
    $blocks = @($Section.Blocks)
    $code = @($blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Language -match '^(powershell|pwsh|ps1?)$' }) +
        @($blocks | Where-Object Kind -EQ 'Code') | Select-Object -First 1
    [pscustomobject]@{
        Title   = $Section.Title
        Code    = if ($code) { $code.Text } else { '' }
        Remarks = @(Get-Paragraph ($blocks | Where-Object { -not [object]::ReferenceEquals($_, $code) }))
    }
}

# An input or output: '### TypeName' over its description.
function Read-TypeSection($Section) {
    [pscustomobject]@{ TypeName = $Section.Title; Description = @(Get-Paragraph $Section.Blocks) }
}

function Read-MarkdownHelp {
    <#
    .SYNOPSIS
        Parses one cmdlet page in PlatyPS's markdown schema into an object.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, ValueFromPipeline, ValueFromPipelineByPropertyName)]
        [Alias('FullName')]
        [string] $Path
    )
    process {
        $page = Split-FrontMatter (Get-Content -LiteralPath $Path)
        $title = @(Split-Section @(Get-Block $page.Body) 1)
        if (-not $title) { throw "$Path has no '# <command name>' heading." }
        # Keys ignore case; a section the page lacks reads as $null, which every reader takes as empty.
        $sections = @{}
        foreach ($section in Split-Section $title[0].Blocks 2) { $sections[$section.Title] = @($section.Blocks) }
        $links = $(foreach ($block in $sections['RELATED LINKS']) { $block.Text }) -join "`n"

        [pscustomobject]@{
            Name        = $title[0].Title
            Synopsis    = (Get-Paragraph $sections['SYNOPSIS']) -join ' '
            Description = @(Get-Paragraph $sections['DESCRIPTION'])
            Syntax      = @(foreach ($s in Split-Section $sections['SYNTAX'] 3) {
                    [pscustomobject]@{
                        ParameterSetName = $s.Title -replace '\s*\(Default\)$'
                        IsDefault        = $s.Title -match '\(Default\)$'
                        Text             = @($s.Blocks | Where-Object Kind -EQ 'Code' | ForEach-Object Text) -join "`n"
                    }
                })
            # CommonParameters and WorkflowCommonParameters are boilerplate, not parameters of the page.
            # A foreach statement, because Where-Object turns a throw further down the pipeline into a mere error.
            Parameters  = @(foreach ($s in Split-Section $sections['PARAMETERS'] 3) { if ($s.Title -like '-*') { Read-Parameter $s } })
            Inputs      = @(foreach ($s in Split-Section $sections['INPUTS'] 3) { Read-TypeSection $s })
            Outputs     = @(foreach ($s in Split-Section $sections['OUTPUTS'] 3) { Read-TypeSection $s })
            Notes       = @(Get-Paragraph $sections['NOTES'])
            Examples    = @(foreach ($s in Split-Section $sections['EXAMPLES'] 3) { Read-Example $s })
            Links       = @(foreach ($match in [regex]::Matches($links, '\[([^\]]+)\]\(([^)]*)\)')) {
                    [pscustomobject]@{ Text = $match.Groups[1].Value; Uri = $match.Groups[2].Value }
                })
        }
    }
}

#endregion

#region MAML writing

# Writes <prefix:name attributes>content</prefix:name>. Content is text, which XmlWriter escapes (so
# '<String>' and 'a & b' are safe), or a script block that writes the children; it runs in a child
# scope and sees its caller's variables.
function Write-Maml($Writer, [string] $Element, $Content = '', [Collections.IDictionary] $Attributes = @{}) {
    $prefix, $local = $Element -split ':'
    $Writer.WriteStartElement($prefix, $local, $script:Namespaces[$prefix])
    foreach ($key in $Attributes.Keys) { $Writer.WriteAttributeString($key, $Attributes[$key]) }
    if ($Content -is [scriptblock]) { & $Content } elseif ([string] $Content) { $Writer.WriteString([string] $Content) }
    $Writer.WriteEndElement()
}

function Write-MamlPara($Writer, [string] $Element, [string[]] $Paragraphs) {
    Write-Maml $Writer $Element { foreach ($paragraph in $Paragraphs) { Write-Maml $Writer 'maml:para' $paragraph } }
}

function Write-MamlParameter($Writer, $Parameter, [switch] $InSyntax) {
    $isSwitch = $Parameter.Type -in 'switch', 'SwitchParameter', 'System.Management.Automation.SwitchParameter'
    $type = if ($isSwitch) { 'SwitchParameter' } else { $Parameter.Type }
    $attributes = [ordered]@{
        required       = "$($Parameter.Required)".ToLowerInvariant()
        variableLength = "$($type.EndsWith('[]'))".ToLowerInvariant()
        globbing       = "$($Parameter.Globbing)".ToLowerInvariant()
        pipelineInput  = $Parameter.PipelineInput
        position       = if ($Parameter.Position -match '^\d+$') { $Parameter.Position } else { 'named' }
        aliases        = if ($Parameter.Aliases) { $Parameter.Aliases -join ', ' } else { 'none' }
    }
    Write-Maml $Writer 'command:parameter' -Attributes $attributes {
        Write-Maml $Writer 'maml:name' $Parameter.Name
        Write-MamlPara $Writer 'maml:description' $Parameter.Description
        if ($Parameter.AcceptedValues) {
            Write-Maml $Writer 'command:parameterValueGroup' {
                foreach ($value in $Parameter.AcceptedValues) {
                    Write-Maml $Writer 'command:parameterValue' $value ([ordered]@{ required = 'false'; variableLength = 'false' })
                }
            }
        }
        # Get-Help would print '<SwitchParameter>' after a switch in the syntax; PlatyPS leaves it out too.
        if (-not ($InSyntax -and $isSwitch)) {
            $valueRequired = "$(-not $isSwitch)".ToLowerInvariant()
            Write-Maml $Writer 'command:parameterValue' $type ([ordered]@{ required = $valueRequired; variableLength = 'false' })
        }
        Write-Maml $Writer 'dev:type' { Write-Maml $Writer 'maml:name' $type; Write-Maml $Writer 'maml:uri' }
        $default = if ($isSwitch -and $Parameter.DefaultValue -eq 'None') { 'False' } else { $Parameter.DefaultValue }
        Write-Maml $Writer 'dev:defaultValue' $default
    }
}

function Write-MamlType($Writer, [string] $Element, $Type) {
    Write-Maml $Writer $Element {
        Write-Maml $Writer 'dev:type' { Write-Maml $Writer 'maml:name' $Type.TypeName }
        Write-MamlPara $Writer 'maml:description' $Type.Description
    }
}

# Dashes around the title, as PlatyPS pads it, so examples stand out in Get-Help's plain text.
function Format-ExampleTitle([string] $Title) {
    if ($Title.Length -ge 62) { return $Title }
    $dashes = '-' * [math]::Floor((62 - $Title.Length) / 2)
    "$dashes $Title $dashes"
}

function Write-MamlCommand($Writer, $Page) {
    $verb, $noun = $Page.Name -split '-', 2
    Write-Maml $Writer 'command:command' {
        foreach ($prefix in $script:Namespaces.Keys) { $Writer.WriteAttributeString('xmlns', $prefix, $null, $script:Namespaces[$prefix]) }
        Write-Maml $Writer 'command:details' {
            Write-Maml $Writer 'command:name' $Page.Name
            Write-Maml $Writer 'command:verb' $verb
            Write-Maml $Writer 'command:noun' $noun
            Write-MamlPara $Writer 'maml:description' $Page.Synopsis
        }
        Write-MamlPara $Writer 'maml:description' $Page.Description
        Write-Maml $Writer 'command:syntax' {
            foreach ($set in $Page.Syntax) {
                # The set's syntax line gives its parameters and their order, so Get-Help shows it as written.
                $names = [regex]::Matches($set.Text, '(?<=[\s\[])-(\w+)') | ForEach-Object { $_.Groups[1].Value } | Select-Object -Unique
                Write-Maml $Writer 'command:syntaxItem' {
                    Write-Maml $Writer 'maml:name' $Page.Name
                    foreach ($name in $names) {
                        foreach ($parameter in @($Page.Parameters).Where({ $_.Name -eq $name })) { Write-MamlParameter $Writer $parameter -InSyntax }
                    }
                }
            }
        }
        Write-Maml $Writer 'command:parameters' { foreach ($parameter in $Page.Parameters) { Write-MamlParameter $Writer $parameter } }
        Write-Maml $Writer 'command:inputTypes' { foreach ($type in $Page.Inputs) { Write-MamlType $Writer 'command:inputType' $type } }
        Write-Maml $Writer 'command:returnValues' { foreach ($type in $Page.Outputs) { Write-MamlType $Writer 'command:returnValue' $type } }
        Write-Maml $Writer 'maml:alertSet' { Write-MamlPara $Writer 'maml:alert' $Page.Notes }
        Write-Maml $Writer 'command:examples' {
            foreach ($example in $Page.Examples) {
                Write-Maml $Writer 'command:example' {
                    Write-Maml $Writer 'maml:title' (Format-ExampleTitle $example.Title)
                    Write-Maml $Writer 'dev:code' $example.Code
                    Write-MamlPara $Writer 'dev:remarks' $example.Remarks
                }
            }
        }
        Write-Maml $Writer 'command:relatedLinks' {
            foreach ($link in $Page.Links) {
                Write-Maml $Writer 'maml:navigationLink' {
                    Write-Maml $Writer 'maml:linkText' $link.Text
                    # Get-Help -Online cannot open a relative uri (a sibling .md page); such a link keeps its text only.
                    $uri = if ([uri]::IsWellFormedUriString($link.Uri, 'Absolute')) { $link.Uri } else { '' }
                    Write-Maml $Writer 'maml:uri' $uri
                }
            }
        }
    }
}

function ConvertTo-MamlHelp {
    <#
    .SYNOPSIS
        Writes one MAML help file from the cmdlet pages (front matter 'external help file:') in a folder.
    #>
    [CmdletBinding()]
    [OutputType([IO.FileInfo])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $OutputPath
    )
    # The module page and about pages have no 'external help file', so they are left out.
    $pages = @(foreach ($file in Get-ChildItem -LiteralPath $Path -Filter '*.md' -File | Sort-Object Name) {
            $meta = (Split-FrontMatter (Get-Content -LiteralPath $file.FullName)).Meta
            if (-not $meta.ContainsKey('external help file')) { continue }
            $page = Read-MarkdownHelp -Path $file.FullName
            # Get-Help -Online opens the first link with a uri; PlatyPS puts 'online version:' there.
            if ([uri]::IsWellFormedUriString($meta['online version'], 'Absolute')) {
                $page.Links = @([pscustomobject]@{ Text = 'Online Version:'; Uri = $meta['online version'] }) + $page.Links
            }
            $page
        })
    if (-not $pages) { throw "No cmdlet page (front matter with 'external help file:') in '$Path'." }

    # XmlWriter resolves paths itself, so it needs a file-system path, not a PowerShell one ($TestDrive, ~).
    $file = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutputPath)
    $settings = [Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($true) }
    $writer = [Xml.XmlWriter]::Create($file, $settings)
    try {
        $writer.WriteStartElement('helpItems', 'http://msh')
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($page in $pages) { Write-MamlCommand $writer $page }
        $writer.WriteEndElement()
    }
    finally { $writer.Dispose() }
    Get-Item -LiteralPath $file
}

#endregion

#region About topics

# Words wrapped to the width of an about topic; Get-Help prints the file as it is.
function Format-Wrapped([string] $Text, [string] $Indent, [string] $HangingIndent, [int] $Width = 80) {
    $line = ''
    foreach ($word in -split $Text) {
        if ($line -and $Indent.Length + $line.Length + 1 + $word.Length -gt $Width) { $Indent + $line; $line = ''; $Indent = $HangingIndent }
        $line = "$line $word".TrimStart()
    }
    if ($line) { $Indent + $line }
}

function ConvertTo-AboutHelp {
    <#
    .SYNOPSIS
        Writes an about page (markdown) as the plain-text about topic that Get-Help about_<name> shows.
    #>
    [CmdletBinding()]
    [OutputType([IO.FileInfo])]
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [string] $OutputPath
    )
    $topic = [IO.Path]::GetFileNameWithoutExtension($Path)
    $lines = [Collections.Generic.List[string]]::new()
    $lines.AddRange([string[]]@('TOPIC', "    $topic"))
    $afterHeading = $true
    foreach ($block in Get-Block (Split-FrontMatter (Get-Content -LiteralPath $Path)).Body) {
        # The page's title (and PlatyPS's '## about_X' line) is the TOPIC already.
        if ($block.Kind -eq 'Heading' -and $block.Text -eq $topic) { continue }
        if ($block.Kind -eq 'Heading' -or -not $afterHeading) { $lines.Add('') }
        $afterHeading = $block.Kind -eq 'Heading'
        $content = switch ($block.Kind) {
            'Heading' { if ($block.Level -le 2) { $block.Text.ToUpperInvariant() } else { "    $($block.Text)" } }
            'Code' { $block.Text -split "`n" | ForEach-Object { "        $_".TrimEnd() } }
            default {
                foreach ($paragraph in Join-Line $block.Text) {
                    if ($paragraph.StartsWith('|')) { "    $paragraph" }
                    elseif ($paragraph -match $script:ListItem) { Format-Wrapped $paragraph '    ' (' ' * (4 + $Matches[0].Length)) }
                    else { Format-Wrapped $paragraph '    ' '    ' }
                }
            }
        }
        foreach ($line in $content) { $lines.Add($line) }
    }
    $file = $PSCmdlet.GetUnresolvedProviderPathFromPSPath($OutputPath)
    [IO.File]::WriteAllLines($file, $lines, [Text.UTF8Encoding]::new($true))
    Get-Item -LiteralPath $file
}

#endregion

Export-ModuleMember -Function Read-MarkdownHelp, ConvertTo-MamlHelp, ConvertTo-AboutHelp
