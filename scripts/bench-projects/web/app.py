from chalice import Chalice

app = Chalice(app_name="bench-web")


@app.route("/")
def index():
    return {"hello": "world"}
