from chalice import Chalice

app = Chalice(app_name="bench-alpaca")


@app.route("/")
def index():
    return {"hello": "world"}
