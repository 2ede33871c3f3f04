from chalice import Chalice

app = Chalice(app_name="bench-alpaca-pandas-layer")


@app.route("/")
def index():
    return {"hello": "world"}
