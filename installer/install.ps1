# Genloom's installer for Windows: gets uv (the PyPI package "uv" ships uv.exe), then runs
# the installer (installer\genloom_installer) with a Python uv provides.
#
#   powershell -ExecutionPolicy Bypass -File install.ps1              install or update
#   ... install.ps1 install --torch-backend cpu                        choose the PyTorch build
#   ... install.ps1 install --bundle genloom-offline-windows-x86_64-cpu.tar   no network
#   ... install.ps1 uninstall                  projects, models and settings stay
param([Parameter(ValueFromRemainingArguments = $true)][string[]]$Rest)
$ErrorActionPreference = "Stop"
$here = Split-Path -Parent $MyInvocation.MyCommand.Path
$tools = Join-Path $env:LOCALAPPDATA "Genloom Installer Tools"
$commands = @("install", "update", "repair", "uninstall", "detect", "lock", "bundle")
if ($Rest.Count -gt 0 -and $commands -contains $Rest[0]) { $command = $Rest[0]; $Rest = $Rest[1..($Rest.Count)] | Where-Object { $_ } } else { $command = "install" }
$bundle = $null
for ($i = 0; $i -lt $Rest.Count - 1; $i++) { if ($Rest[$i] -eq "--bundle") { $bundle = $Rest[$i + 1] } }

function Get-UvFromWheel($wheel) {
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    New-Item -ItemType Directory -Force -Path $tools | Out-Null
    $zip = [System.IO.Compression.ZipFile]::OpenRead($wheel)
    try {
        $entry = $zip.Entries | Where-Object { $_.FullName -like "*.data/scripts/uv.exe" } | Select-Object -First 1
        [System.IO.Compression.ZipFileExtensions]::ExtractToFile($entry, (Join-Path $tools "uv.exe"), $true)
    } finally { $zip.Dispose() }
}

$uv = $env:GENLOOM_UV
if (-not $uv) { $found = Get-Command uv -ErrorAction SilentlyContinue; if ($found) { $uv = $found.Source } }
if (-not $uv -and (Test-Path (Join-Path $tools "uv.exe"))) { $uv = Join-Path $tools "uv.exe" }
if (-not $uv) {
    $tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("genloom-uv-" + [guid]::NewGuid())
    New-Item -ItemType Directory -Path $tmp | Out-Null
    if ($bundle) {
        Write-Host "genloom installer: taking uv from the bundle"
        tar -xf $bundle -C $tmp
        $wheel = Get-ChildItem -Path $tmp -Recurse -Filter "uv-*win_amd64.whl" | Select-Object -First 1
    } else {
        Write-Host "genloom installer: downloading uv from PyPI"
        $index = (Invoke-WebRequest -UseBasicParsing https://pypi.org/simple/uv/).Content
        $url = ([regex]::Matches($index, 'https://[^"#]*uv-[0-9.]*-py3-none-win_amd64\.whl') | Select-Object -Last 1).Value
        $wheel = Join-Path $tmp "uv.whl"
        Invoke-WebRequest -UseBasicParsing -Uri $url -OutFile $wheel
        $wheel = Get-Item $wheel
    }
    Get-UvFromWheel $wheel.FullName
    Remove-Item -Recurse -Force $tmp
    $uv = Join-Path $tools "uv.exe"
}
$env:PYTHONPATH = $here
$offline = @()
if ($bundle) { $offline = @("--offline"); $env:UV_PYTHON_DOWNLOADS = "never" }
& $uv run @offline --no-project --python ">=3.10" python -m genloom_installer $command --uv $uv @Rest
exit $LASTEXITCODE
