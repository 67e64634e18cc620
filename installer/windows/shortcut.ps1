# Creates Genloom's Start-menu shortcut (called by the installer on Windows).
param(
    [Parameter(Mandatory = $true)][string]$Shortcut,
    [Parameter(Mandatory = $true)][string]$Target,
    [Parameter(Mandatory = $true)][string]$Icon
)
$ErrorActionPreference = "Stop"
New-Item -ItemType Directory -Force -Path (Split-Path -Parent $Shortcut) | Out-Null
$shell = New-Object -ComObject WScript.Shell
$link = $shell.CreateShortcut($Shortcut)
$link.TargetPath = $Target
$link.IconLocation = "$Icon,0"
$link.Description = "Genloom, an offline generative studio"
$link.WorkingDirectory = [Environment]::GetFolderPath("MyDocuments")
$link.Save()
