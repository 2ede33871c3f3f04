"""grail's bridge to Chalice's own template generation.

grail builds the deployment zip itself; the templates (sam.json, sam.yaml,
chalice.tf.json, --merge-template, --single-file) come from the project's
installed chalice, exactly as `chalice package` writes them. Two things are
swapped in: the deployment packager returns grail's zip instead of running
pip, and the runtime/architecture are grail's target. Chalice's copy of
the zips into the output directory is skipped unless --single-file needs
it (grail puts its zips in place itself), so the templates never read the
zips and can be generated while grail writes them.

Reads one JSON request on stdin; prints one JSON line on stdout:
{"ok": true, "region_defaulted": bool} or {"ok": false, "kind": ..., "message": ..., "traceback": ...}.
kind: "chalice-missing", "import" (the user's app failed), "package" (anything else).
"""
import json
import os
import sys
import traceback


def emit(obj, code):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
    sys.exit(code)


def main():
    req = json.loads(sys.stdin.read())
    project_dir = req["project_dir"]
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"
    os.chdir(project_dir)
    try:
        from chalice.cli.factory import CLIFactory
        from chalice.config import Config
        from chalice.deploy import packager as chalice_packager
        from chalice.utils import OSUtils, create_zip_file
    except Exception as e:
        emit({"ok": False, "kind": "chalice-missing", "message": "%s: %s" % (type(e).__name__, e),
              "traceback": traceback.format_exc()}, 3)

    region_defaulted = False
    if req.get("default_region"):
        try:
            import botocore.session
            s = botocore.session.Session(profile=req.get("profile"))
            if not s.get_config_variable("region"):
                os.environ["AWS_DEFAULT_REGION"] = req["default_region"]
                region_defaulted = True
        except Exception:
            pass

    zip_path = req["zip"]
    runtime = req["runtime"]
    arch = req["architecture"]
    Config.lambda_python_version = property(lambda self: runtime)
    if hasattr(Config, "lambda_architecture"):
        Config.lambda_architecture = property(lambda self: arch)

    layer_zip = req.get("layer_zip")

    def use_grails_zip(self, project_dir, python_version):
        return zip_path

    def use_grails_layer(self, project_dir, python_version):
        if not layer_zip:
            raise chalice_packager.EmptyPackageError(project_dir)
        return layer_zip

    if not req.get("single_file"):
        grails = {os.path.abspath(p) for p in (zip_path, layer_zip) if p}
        copy = OSUtils.copy

        def copy_unless_grails_zip(self, source, destination):
            if os.path.abspath(source) not in grails:
                copy(self, source, destination)

        OSUtils.copy = copy_unless_grails_zip

    chalice_packager.LambdaDeploymentPackager.create_deployment_package = use_grails_zip
    chalice_packager.AppOnlyDeploymentPackager.create_deployment_package = use_grails_zip
    chalice_packager.LayerDeploymentPackager.create_deployment_package = use_grails_layer

    factory = CLIFactory(project_dir, req.get("debug", False), profile=req.get("profile"),
                         environ=os.environ)
    try:
        config = factory.create_config_obj(req["stage"])
        # Import the app now (Chalice does it lazily) so a failing app.py is
        # told apart from a template problem.
        config.chalice_app
    except Exception as e:
        emit({"ok": False, "kind": "import", "message": "%s: %s" % (type(e).__name__, e),
              "traceback": traceback.format_exc()}, 4)
    try:
        options = factory.create_package_options()
        packager = factory.create_app_packager(
            config, options, req["pkg_format"], req["template_format"], req.get("merge_template"))
        if req.get("single_file"):
            packager.package_app(config, req["out_dir"], req["stage"])
            create_zip_file(source_dir=req["out_dir"], outfile=req["single_file"])
        else:
            packager.package_app(config, req["out_dir"], req["stage"])
    except SystemExit:
        raise
    except BaseException as e:
        emit({"ok": False, "kind": "package", "message": "%s: %s" % (type(e).__name__, e),
              "traceback": traceback.format_exc()}, 5)
    emit({"ok": True, "region_defaulted": region_defaulted}, 0)


if __name__ == "__main__":
    main()
