"""The command tree. Handlers live in small modules imported only when used."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import Any, cast


def row_id(text: str) -> int:
    """An asset or job id: a whole number SQLite can hold (a 40-digit id is a typo)."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an id (a whole number)") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text[:24]}{'...' if len(text) > 24 else ''} is not "
                                         "an id in any project (ids are positive and far "
                                         "smaller); list them with `genloom jobs` or "
                                         "`genloom assets`")
    return value


def amount(text: str) -> int:
    """A limit, offset or rating: a whole number from 0 that SQLite can hold."""
    try:
        value = int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"{text[:24]} is out of range; give a whole number "
                                         "from 0")
    return value


def lazy(target: str) -> Callable[[argparse.Namespace], int]:
    """A handler that imports ``module:function`` when called."""
    module_name, func_name = target.split(":")

    def handler(args: argparse.Namespace) -> int:
        module = importlib.import_module(f"genloom.cli.{module_name}")
        return getattr(module, func_name)(args)

    return handler


def _project_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", "-p", metavar="DIR",
                        help="project folder (default: $GENLOOM_PROJECT, the current folder if it is "
                             "a project, else the last project used)")


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")


def _finish(parser: argparse.ArgumentParser, handler: str, *, project: bool = True) -> None:
    """End a command's arguments with ``--project`` (unless ``project=False``) and ``--json``, and set its handler.

    A function rather than argparse ``parents=``: a parent's options would come
    first in the usage line and help, before the command's own.
    """
    if project:
        _project_option(parser)
    _json_option(parser)
    parser.set_defaults(handler=lazy(handler))


def _executor_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--executor", choices=("local", "ray"), default=None,
                        help="where the jobs run: this machine's worker (default: settings), or a "
                             "Ray cluster (the 'ray' extra; see docs/api.md)")
    parser.add_argument("--address", metavar="RAY_ADDRESS",
                        help="the Ray cluster to use with --executor ray, e.g. 10.0.0.5:6379 "
                             "(default: settings; 'local' starts a private one on this machine)")


def _plugin_install_options(parser: argparse.ArgumentParser) -> None:
    """Where ``genloom plugins install`` (and a rollback) look for packages."""
    group = parser.add_argument_group("install and rollback")
    group.add_argument("--find-links", action="append", default=[], metavar="DIR",
                       help="also look for wheels in this folder (repeatable)")
    group.add_argument("--no-index", action="store_true",
                       help="do not use a package index: only --find-links folders and the files given")
    group.add_argument("--index-url", default="", metavar="URL", help="the package index to use")
    group.add_argument("--no-build-isolation", action="store_true",
                       help="build a project folder with the build tools already installed (offline)")


class _OneCommand:
    """Stands in for the subparsers action and builds only the parser of ``wanted``.

    Parsing a command needs only its own parser; building all seventy-odd (with their
    four hundred arguments) costs more than Python's own start-up.
    """

    def __init__(self, sub: argparse._SubParsersAction[argparse.ArgumentParser], wanted: str) -> None:
        self.sub, self.wanted, self.found = sub, wanted, False

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if name == self.wanted or self.wanted in kwargs.get("aliases", ()):
            self.found = True
            return self.sub.add_parser(name, **kwargs)
        return _NotBuilt()


class _NotBuilt:
    """The parser of a command not asked for: every call on it does nothing."""

    def __getattr__(self, name: str) -> Callable[..., _NotBuilt]:
        return self._nothing

    def _nothing(self, *args: Any, **kwargs: Any) -> _NotBuilt:
        return self


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser], only: str | None = None) -> bool:
    """Add the commands to ``sub``: all of them, or (``only``) just the one of that name;
    False when there is no command called ``only`` (nothing was added then)."""
    if only is None:
        register_all(sub)
        return True
    one = _OneCommand(sub, only)
    register_all(cast("argparse._SubParsersAction[argparse.ArgumentParser]", one))
    return one.found


def register_all(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    # the local API
    p = sub.add_parser("serve", help="serve the project over a local HTTP API (Genloom's own "
                                     "and OpenAI-compatible endpoints; the 'api' extra)")
    p.add_argument("--host", default=None,
                   help="address to listen on (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=int, default=None, help="TCP port (default: settings, 8765)")
    p.add_argument("--allow-remote", action="store_true",
                   help="allow an address other machines can reach (prints a warning)")
    p.add_argument("--show-token", action="store_true",
                   help="print the API token (made on first use, kept readable only by you)")
    p.add_argument("--max-request-kb", type=amount, default=None,
                   help="largest request body accepted, in KiB (default 1024)")
    p.add_argument("--max-queued", type=amount, default=None,
                   help="jobs one client may have queued or running (default 32)")
    _finish(p, "cmd_serve:serve")

    # plugins
    p = sub.add_parser("plugins", help="list plugins, with the reason any failed; enable or disable, "
                                       "install, uninstall or roll back them")
    p.add_argument("action", nargs="?", default="list",
                   choices=("list", "enable", "disable", "install", "uninstall", "rollback", "snapshots"))
    p.add_argument("name", nargs="?", help="plugin name (for enable/disable/uninstall); for install a "
                                           "package name, wheel file or project folder; for rollback "
                                           "a snapshot id (default: before the last change)")
    p.add_argument("--traceback", action="store_true", help="show the full traceback of failed plugins")
    _plugin_install_options(p)
    p.add_argument("--trace", action="store_true",
                   help="show where each plugin was found, in order, and why one was skipped or failed")
    p.add_argument("--no-load", action="store_true",
                   help="list what the plugins' manifests declare, importing no plugin")
    _finish(p, "cmd_plugins:plugins", project=False)

    p = sub.add_parser("generators", help="list the generators plugins offer, or show one's parameters")
    p.add_argument("generator", nargs="?", help="a generator id to show in full")
    p.add_argument("--modality", choices=("text", "image", "audio", "video", "code"))
    p.add_argument("--no-load", action="store_true",
                   help="list what the plugins' manifests declare (id, modality, title), importing no plugin")
    _finish(p, "cmd_plugins:generators", project=False)

    p = sub.add_parser("doctor", help="diagnostics for a bug report: Python, torch and its device, "
                                      "ONNX Runtime, Qt, missing system libraries, disk, model folders")
    p.add_argument("--smoke", action="store_true",
                   help="also make one tiny image with a bundled generator in a throwaway project")
    _finish(p, "cmd_doctor:doctor", project=False)

    # generate / rerun
    p = sub.add_parser("generate", help="run a generator and store what it makes in the project")
    p.add_argument("generator", help="generator id (see `genloom generators`)")
    p.add_argument("--prompt", help="the prompt (the generator's parameter with the prompt role)")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="set a parameter; repeat for more")
    p.add_argument("--input", dest="inputs", action="append", default=[], metavar="ROLE=ASSET",
                   help="use an asset as an input, e.g. --input image=12")
    p.add_argument("--seed", type=int, help="seed of the first output (default: random); -1 is random")
    p.add_argument("--count", "-n", type=int, default=1, help="how many to make (consecutive seeds)")
    p.add_argument("--model", help="bundled model id or a model file/folder")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default: settings)")
    p.add_argument("--queue-only", action="store_true", help="queue the jobs and return without running them")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    _executor_options(p)
    _finish(p, "cmd_generate:generate")

    p = sub.add_parser("rerun", help="make an asset again from its recipe (or a variation with --new-seed)")
    p.add_argument("asset", type=row_id)
    p.add_argument("--new-seed", action="store_true", help="same recipe with a new random seed")
    p.add_argument("--device", help="run on another device than the recipe's")
    p.add_argument("--quiet", "-q", action="store_true")
    _finish(p, "cmd_generate:rerun")

    # sweeps and the leaderboard (genloom.core.evaluation)
    p = sub.add_parser("sweep", help="run a generator over a grid of up to three parameters and "
                                     "store a labelled grid of the results")
    p.add_argument("generator", help="generator id (see `genloom generators`)")
    p.add_argument("--axis", dest="axes", action="append", default=[], metavar="NAME=VALUES",
                   help="an axis: steps=10,20,30, seed=1..4, guidance_scale=3..9:3, model=A,B or "
                        "prompt_sr=cat,dog (each value replaces the first in the prompt; NAME_sr "
                        "does that in any text parameter); up to three")
    p.add_argument("--prompt", help="the prompt (the generator's parameter with the prompt role)")
    p.add_argument("--param", "--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="a fixed parameter for every cell; repeat for more")
    p.add_argument("--input", dest="inputs", action="append", default=[], metavar="ROLE=ASSET",
                   help="use an asset as an input in every cell, e.g. --input image=12")
    p.add_argument("--seed", type=int, help="the seed of every cell (default: one drawn for all)")
    p.add_argument("--model", help="the model of every cell (or sweep it with --axis model=...)")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default: settings)")
    p.add_argument("--wait", action="store_true",
                   help="run the cells and the grid here and print the grid's path")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    _finish(p, "cmd_sweep:sweep")

    p = sub.add_parser("judge", help="record which of two to four assets you prefer (or a tie), "
                                     "for the leaderboard")
    p.add_argument("assets", type=row_id, nargs="+", help="the compared asset ids (2 to 4)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--prefer", type=row_id, metavar="ASSET", help="the one you prefer")
    which.add_argument("--tie", action="store_true", help="none is better than the others")
    p.add_argument("--note", default="", help="why (optional)")
    _finish(p, "cmd_sweep:judge")

    p = sub.add_parser("leaderboard", help="rank generators, models or settings by your "
                                           "judgements (Bradley-Terry scores with their error)")
    p.add_argument("--by", choices=("generator", "model", "setting"), default="setting")
    p.add_argument("--generator", help="only this generator's entries")
    _finish(p, "cmd_sweep:leaderboard")

    # jobs
    p = sub.add_parser("jobs", help="the job queue: list, show, cancel, retry, move, run")
    jobs = p.add_subparsers(dest="jobs_action", metavar="ACTION")
    j = jobs.add_parser("list", help="list jobs (the default)")
    j.add_argument("--state", action="append", choices=("queued", "running", "done", "failed", "cancelled"))
    j.add_argument("--limit", type=amount, default=50)
    for q in (p, j):
        _finish(q, "cmd_jobs:list_jobs")
    p.set_defaults(state=None, limit=50)
    for name, help_text in (("show", "one job in full"), ("cancel", "cancel queued or running jobs"),
                            ("retry", "queue failed or cancelled jobs again")):
        j = jobs.add_parser(name, help=help_text)
        j.add_argument("job", type=row_id, nargs="+" if name != "show" else None)
        _finish(j, f"cmd_jobs:{name}_jobs")
    j = jobs.add_parser("move", help="move a queued job to a place in the queue (0 = next)")
    j.add_argument("job", type=row_id)
    j.add_argument("index", type=int)
    _finish(j, "cmd_jobs:move_job")
    j = jobs.add_parser("run", help="run the queued jobs in this process until the queue is empty")
    j.add_argument("--watch", action="store_true", help="keep waiting for new jobs until Ctrl-C")
    j.add_argument("--quiet", "-q", action="store_true")
    _finish(j, "cmd_jobs:run_queue")

    # assets
    p = sub.add_parser("assets", help="the project's assets: list, search, show, export, import, tag, rate")
    assets = p.add_subparsers(dest="assets_action", metavar="ACTION")
    a = assets.add_parser("list", help="newest first (the default)")
    for q in (p, a):
        q.add_argument("--kind", choices=("text", "image", "audio", "video", "code"))
        q.add_argument("--tag")
        q.add_argument("--min-rating", type=amount)
        q.add_argument("--generator")
        q.add_argument("--model")
        q.add_argument("--order", choices=("newest", "oldest", "rating"), default="newest")
        q.add_argument("--limit", type=amount, default=50)
        q.add_argument("--offset", type=amount, default=0)
        _finish(q, "cmd_assets:list_assets")
    a = assets.add_parser("search", help="full-text search over prompts, texts, titles, notes and tags")
    a.add_argument("query")
    a.add_argument("--limit", type=amount, default=50)
    _finish(a, "cmd_assets:search_assets")
    a = assets.add_parser("show", help="an asset with its recipe and lineage")
    a.add_argument("asset", type=row_id)
    _finish(a, "cmd_assets:show_asset")
    a = assets.add_parser("export", help="write an asset's file elsewhere, with its recipe embedded where the format allows")
    a.add_argument("asset", type=row_id)
    a.add_argument("dest", help="a file path, or a folder to write into")
    a.add_argument("--format", dest="audio_format", choices=("wav", "flac", "ogg", "mp3"),
                   help="convert an audio asset to this format (also chosen by DEST's suffix)")
    a.add_argument("--loudness", type=float, metavar="LUFS",
                   help="normalise an audio asset's loudness to LUFS, e.g. -14 or -23")
    _finish(a, "cmd_assets:export_asset")
    a = assets.add_parser("frame", help="store a frame of a clip as an image asset (its parent is the clip)")
    a.add_argument("asset", type=row_id)
    a.add_argument("which", nargs="?", default="last",
                   help="first, last (the default), middle, or a frame number (negative counts from the end)")
    _finish(a, "cmd_assets:frame_asset")
    a = assets.add_parser("import", help="add files to the project (reads Genloom and A1111 metadata in PNGs)")
    a.add_argument("files", nargs="+")
    a.add_argument("--tag", action="append", default=[])
    _finish(a, "cmd_assets:import_assets")
    a = assets.add_parser("tag", help="add tags to an asset (--remove to take them off)")
    a.add_argument("asset", type=row_id)
    a.add_argument("tags", nargs="+")
    a.add_argument("--remove", action="store_true")
    _finish(a, "cmd_assets:tag_asset")
    a = assets.add_parser("rate", help="rate an asset 0 to 5 stars")
    a.add_argument("asset", type=row_id)
    a.add_argument("rating", type=int)
    _finish(a, "cmd_assets:rate_asset")
    a = assets.add_parser("note", help="set an asset's notes")
    a.add_argument("asset", type=row_id)
    a.add_argument("notes")
    _finish(a, "cmd_assets:note_asset")
    a = assets.add_parser("delete", help="remove assets from the project (their files go when no other asset uses them)")
    a.add_argument("asset", type=row_id, nargs="+")
    _finish(a, "cmd_assets:delete_assets")

    # boards
    _register_boards(sub)
    # conversations
    _register_chat(sub)
    # evaluation
    _register_eval(sub)
    # verify
    p = sub.add_parser("verify", help="check files' content credentials: valid, tampered or absent, and "
                                      "who signed them (exit 0 when all are valid)")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--recipe", action="store_true", help="also print the recipe in each manifest")
    _finish(p, "cmd_verify:verify", project=False)

    # project
    p = sub.add_parser("project", help="create a project, or show and check one")
    proj = p.add_subparsers(dest="project_action", metavar="ACTION")
    q = proj.add_parser("new", help="create a project folder")
    q.add_argument("path")
    q.add_argument("--name")
    _finish(q, "cmd_project:new_project", project=False)
    q = proj.add_parser("info", help="what a project holds")
    q.add_argument("path", nargs="?")
    _finish(q, "cmd_project:project_info", project=False)
    q = proj.add_parser("archive", help="write the project (database, assets, recipes) to one archive file")
    q.add_argument("path", nargs="?", help="the project folder (default: as for other commands)")
    q.add_argument("--output", "-o", metavar="FILE",
                   help="the archive to write (default: NAME.genloom-archive in the current folder)")
    _finish(q, "cmd_project:archive_project", project=False)
    q = proj.add_parser("unarchive", help="unpack a project archive into a new folder (checked before "
                                          "anything is kept)")
    q.add_argument("archive")
    q.add_argument("target", help="a new (or empty) folder for the project")
    _finish(q, "cmd_project:unarchive_project", project=False)
    q = proj.add_parser("check", help="verify every asset file against its hash; --repair removes orphaned files")
    q.add_argument("path", nargs="?")
    q.add_argument("--repair", action="store_true")
    _finish(q, "cmd_project:check_project", project=False)
    p.set_defaults(handler=lazy("cmd_project:project_info"), path=None, json=False)

    # models
    p = sub.add_parser("models", help="the model library: list, scan, add folders, inspect, forget, set types")
    models = p.add_subparsers(dest="models_action", metavar="ACTION")
    m = models.add_parser("list", help="the models found (the default)")
    for q in (p, m):
        q.add_argument("--kind", help="only this model kind (e.g. lora, diffusers)")
        q.add_argument("--architecture", "--arch", help="only this architecture (e.g. 'SD 1.x', Llama)")
        q.add_argument("--status", choices=("ok", "unknown", "refused", "unsupported", "missing"))
        q.add_argument("--search", help="text in the title, path, kind or architecture")
        q.add_argument("--roots", action="store_true", help="list the folders added instead")
        _finish(q, "cmd_models:list_models", project=False)
    m = models.add_parser("scan", help="look for new, changed and missing models (only changed files are read)")
    m.add_argument("folders", nargs="*", metavar="FOLDER", help="only these added folders (default: everything)")
    m.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    _finish(m, "cmd_models:scan_models", project=False)
    m = models.add_parser("add", help="add a folder of models (or ComfyUI/AUTOMATIC1111/InvokeAI) and scan it")
    m.add_argument("folder")
    m.add_argument("--watch", action="store_true", help="rescan it while the app runs")
    m.add_argument("--no-scan", action="store_true", help="add it without scanning now")
    m.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    _finish(m, "cmd_models:add_folder", project=False)
    m = models.add_parser("remove-folder", help="stop scanning a folder (its files are not touched)")
    m.add_argument("folder")
    _finish(m, "cmd_models:remove_folder", project=False)
    m = models.add_parser("info", help="one model in full: type, licence, locations, generators")
    m.add_argument("model", help="id (hash prefix), path, bundled id or title")
    _finish(m, "cmd_models:model_info", project=False)
    m = models.add_parser("forget", help="remove a model from the library (its files are not touched)")
    m.add_argument("model")
    _finish(m, "cmd_models:forget_model", project=False)
    m = models.add_parser("set-type", help="set a model's kind by hand ('' goes back to the detected one)")
    m.add_argument("model")
    m.add_argument("type", help="a model kind a generator loads (e.g. lora, sd-checkpoint)")
    m.add_argument("--architecture", "--arch", help="also set the architecture (e.g. SDXL)")
    _finish(m, "cmd_models:set_type", project=False)
    m = models.add_parser("allow-pickle", help="allow one pickle-based model file (loaded weights-only)")
    m.add_argument("model", help="id, path or title of a .ckpt/.pt/.pth/.bin/.pkl model")
    m.add_argument("--revoke", action="store_true", help="refuse it again")
    _finish(m, "cmd_models:allow_pickle", project=False)

    # plugin scaffold
    p = sub.add_parser("plugin", help="tools for plugin authors")
    plug = p.add_subparsers(dest="plugin_action", metavar="ACTION")
    q = plug.add_parser("new", help="write a working plugin package skeleton with tests")
    q.add_argument("name", help="the plugin's name, a Python identifier such as my_sketches")
    q.add_argument("--dir", default=".", help="where to create it (default: here)")
    q.add_argument("--with-model", action="store_true",
                   help="an image generator that ships and loads a small safetensors model")
    q.set_defaults(handler=lazy("cmd_plugin_new:plugin_new"))
    q = plug.add_parser("validate", help="check a plugin folder or module file: manifest, hooks, ids, "
                        "light import, same seed same bytes, cancel, no network (exit 1 if a check fails)")
    q.add_argument("path", help="the plugin's package folder (with __init__.py) or module file")
    _finish(q, "cmd_plugin_validate:plugin_validate", project=False)

    # bench
    p = sub.add_parser("bench", help="measure how fast this machine runs your generators and models")
    p.add_argument("generators", nargs="*", metavar="GENERATOR",
                   help="generators to measure (default: every one with a model of its own and no input)")
    p.add_argument("--modality", choices=("text", "image", "audio", "video", "code"),
                   help="only the default generators of this kind")
    p.add_argument("--model", help="a model to load instead of each generator's default")
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default: settings)")
    p.add_argument("--backend", help="a backend the generator offers (torch, onnx, ...), or all")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="set a parameter (e.g. steps=20, width=512); repeat for more")
    p.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up (default 3)")
    p.add_argument("--no-save", action="store_true", help="do not keep the results")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    p.add_argument("--list", action="store_true", help="show the stored results (newest per model and device)")
    p.add_argument("--report", action="store_true", help="print the stored results as a report to share")
    _finish(p, "cmd_bench:bench", project=False)


def _register_boards(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("board", help="storyboards: shots, takes, a draft cut and exports for editors")
    boards = p.add_subparsers(dest="board_action", metavar="ACTION")
    b = boards.add_parser("list", help="the project's boards (the default)")
    for q in (p, b):
        _finish(q, "cmd_board:list_boards")
    b = boards.add_parser("new", help="make an empty board")
    b.add_argument("name")
    b.add_argument("--style", action="append", default=[], metavar="KEY=VALUE",
                   help="a style setting (style_suffix, negative_prompt, image_generator, "
                        "video_generator, voice_generator, music_generator, *_model, seed_policy "
                        "fixed|per-shot, seed, width, height)")
    _finish(b, "cmd_board:new_board")
    b = boards.add_parser("show", help="a board's shots with their selected takes")
    b.add_argument("board", type=row_id)
    _finish(b, "cmd_board:show_board")
    b = boards.add_parser("import", help="a Fountain screenplay, a plain list (one shot a line) "
                                         "or a CSV into a new board (or onto --board)")
    b.add_argument("script")
    b.add_argument("--format", choices=("fountain", "list", "csv"),
                   help="default: from the suffix (.fountain, .txt, .csv)")
    b.add_argument("--per", choices=("action", "scene"), default="action",
                   help="Fountain: a shot per action block (default) or per scene")
    b.add_argument("--board", type=row_id, help="add the shots to this board instead")
    b.add_argument("--name", help="the new board's name (default: the title page's title)")
    _finish(b, "cmd_board:import_script")
    b = boards.add_parser("add-shot", help="add a shot to a board")
    b.add_argument("board", type=row_id)
    b.add_argument("description")
    b.add_argument("--at", type=int, metavar="NUMBER", help="insert as shot NUMBER (default: last)")
    _shot_options(b)
    _finish(b, "cmd_board:add_shot")
    b = boards.add_parser("edit", help="change a shot's fields")
    b.add_argument("shot", type=row_id)
    b.add_argument("--description")
    _shot_options(b)
    _finish(b, "cmd_board:edit_shot")
    b = boards.add_parser("move", help="move a shot to another place (shot NUMBER)")
    b.add_argument("shot", type=row_id)
    b.add_argument("number", type=int)
    _finish(b, "cmd_board:move_shot")
    b = boards.add_parser("remove-shot", help="take a shot off its board (undo brings it back)")
    b.add_argument("shot", type=row_id)
    _finish(b, "cmd_board:remove_shot")
    b = boards.add_parser("takes", help="a shot's takes; --add links an asset, --remove unlinks")
    b.add_argument("shot", type=row_id)
    b.add_argument("--add", type=row_id, metavar="ASSET")
    b.add_argument("--track", choices=("picture", "voice", "music"))
    b.add_argument("--remove", type=row_id, metavar="TAKE")
    _finish(b, "cmd_board:takes")
    b = boards.add_parser("select", help="make a take its track's selected one")
    b.add_argument("take", type=row_id)
    _finish(b, "cmd_board:select_take")
    b = boards.add_parser("style", help="show or change the board's style settings")
    b.add_argument("board", type=row_id)
    b.add_argument("settings", nargs="*", metavar="KEY=VALUE")
    _finish(b, "cmd_board:style")
    b = boards.add_parser("generate", help="queue and run take jobs for shots with the board's "
                                           "style")
    b.add_argument("board", type=row_id)
    b.add_argument("--shot", type=row_id, action="append", dest="shots", metavar="SHOT",
                   help="only this shot (repeat for more; default: all)")
    b.add_argument("--track", action="append", dest="tracks",
                   choices=("picture", "voice", "music"),
                   help="tracks to make takes for (default: picture, and voice when a "
                        "speech generator is installed)")
    b.add_argument("--queue-only", action="store_true", help="queue the jobs and return")
    b.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    _finish(b, "cmd_board:generate")
    b = boards.add_parser("cut", help="render the selected takes into one MP4 (a job in the worker); "
                                      "the cut is an asset whose lineage lists every take")
    b.add_argument("board", type=row_id)
    b.add_argument("--size", default="640x360", help="WIDTHxHEIGHT, both even (default 640x360)")
    b.add_argument("--fps", type=int, default=24)
    b.add_argument("--no-numbers", action="store_true", help="no shot numbers burnt in")
    b.add_argument("--slate", type=float, default=0.0, metavar="SECONDS",
                   help="a title card before the first shot")
    b.add_argument("--music-db", type=float, default=-14.0, help="the music bed's level (dB)")
    b.add_argument("--duck-db", type=float, default=-12.0,
                   help="how far the music dips under a voice (dB)")
    b.add_argument("--queue-only", action="store_true", help="queue the job and return")
    b.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    _finish(b, "cmd_board:cut")
    b = boards.add_parser("export", help="the board for editors (OTIO, EDL, FCP7 XML, FCPXML, with "
                                         "the media copied beside) or a contact sheet (PNG/PDF)")
    b.add_argument("board", type=row_id)
    b.add_argument("dest", help="a file, or a folder to write <board name>.<suffix> into")
    b.add_argument("--format", required=True,
                   choices=("otio", "edl", "fcp7", "fcpxml", "contact-sheet"))
    _finish(b, "cmd_board:export")
    b = boards.add_parser("undo", help="undo the board's latest edit")
    b.add_argument("board", type=row_id)
    _finish(b, "cmd_board:undo")
    b = boards.add_parser("delete", help="delete a board (its assets stay)")
    b.add_argument("board", type=row_id)
    _finish(b, "cmd_board:delete_board")


def _shot_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--duration", help="seconds")
    parser.add_argument("--camera", help="static, pan-left, pan-right, tilt-up, tilt-down, "
                                         "zoom-in or zoom-out")
    parser.add_argument("--dialogue", help="the voice-over or dialogue line")
    parser.add_argument("--character", help="who says the line")
    parser.add_argument("--notes")
    parser.add_argument("--scene")


def _register_chat(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("chat", help="talk with a text or code model: a conversation kept in the "
                                    "project, streamed; /help inside lists the commands")
    p.add_argument("conversation", nargs="?", type=row_id,
                   help="a conversation to go on with (default: a new one)")
    p.add_argument("--message", "-m", action="append", default=[], metavar="TEXT",
                   help="send this message and print the answer (repeat for more turns); "
                        "without it, lines are read from the terminal or stdin")
    p.add_argument("--model", help="bundled model id, model library id or a model folder")
    p.add_argument("--system", metavar="TEXT", help="the system prompt from now on")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                   help="a sampling setting of the conversation, e.g. --set temperature=0.2 or "
                        "--set context_overflow=drop_oldest; repeat for more")
    p.add_argument("--seed", type=int, help="a fixed seed for the answers (default: a new random "
                                            "one each turn; /regenerate always draws one)")
    p.add_argument("--generator", help="the chat generator (default: text.chat)")
    p.add_argument("--title", help="the conversation's title")
    _finish(p, "cmd_chat:chat")

    p = sub.add_parser("conversations", help="conversations: list, show, search, export, rename, delete")
    actions = p.add_subparsers(dest="conversations_action", metavar="ACTION")
    c = actions.add_parser("list", help="list conversations, most recent first (the default)")
    c.add_argument("--limit", type=amount, default=100)
    for q in (p, c):
        _finish(q, "cmd_chat:list_conversations")
    p.set_defaults(limit=100)
    c = actions.add_parser("show", help="the conversation's thread (Markdown; --json: every branch)")
    c.add_argument("conversation", type=row_id)
    _finish(c, "cmd_chat:show_conversation")
    c = actions.add_parser("export", help="write the conversation to a file as Markdown or JSON")
    c.add_argument("conversation", type=row_id)
    c.add_argument("file", help="the file to write (- for stdout)")
    c.add_argument("--format", choices=("markdown", "json"), default="markdown")
    _finish(c, "cmd_chat:export_conversation")
    c = actions.add_parser("search", help="conversations whose title or messages match words")
    c.add_argument("query")
    c.add_argument("--limit", type=amount, default=50)
    _finish(c, "cmd_chat:search_conversations")
    c = actions.add_parser("rename", help="give a conversation a new title")
    c.add_argument("conversation", type=row_id)
    c.add_argument("title")
    _finish(c, "cmd_chat:rename_conversation")
    c = actions.add_parser("delete", help="delete conversations (their answers stay as assets)")
    c.add_argument("conversation", type=row_id, nargs="+")
    _finish(c, "cmd_chat:delete_conversation")


def _register_eval(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("eval", help="measure a set of assets with offline metrics and write a report "
                                    "(HTML with charts, and JSON)")
    p.add_argument("assets", type=row_id, nargs="*", metavar="ASSET",
                   help="the assets to measure (or choose a set with --tag, --search, --batch, --parent)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--tag", help="every asset with this tag")
    which.add_argument("--search", metavar="QUERY", help="the assets a search finds")
    which.add_argument("--batch", type=row_id, metavar="ASSET",
                       help="the assets made by the same submission as this one")
    which.add_argument("--parent", type=row_id, metavar="ASSET",
                       help="the children of this asset (a sweep's cells)")
    p.add_argument("--metric", "-m", action="append", metavar="ID",
                   help="a metric to compute (repeatable; default: every one that applies; "
                        "see --list-metrics)")
    p.add_argument("--group-by", nargs="+", metavar="HOW",
                   help="compare groups: generator, model, or param NAME (such as: param steps)")
    p.add_argument("--reference-model", metavar="MODEL",
                   help="the language model perplexity is measured under (default: the bundled text model)")
    p.add_argument("--out", metavar="DIR", default=".",
                   help="folder for evaluation-ID.html and .json (default: the current folder)")
    p.add_argument("--list-metrics", action="store_true", help="list the metrics and what they measure")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    _finish(p, "cmd_eval:evaluate")
