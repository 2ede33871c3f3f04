from chalice import Chalice

from chalicelib.greeting import greet

app = Chalice(app_name="hello")


@app.route("/")
def index():
    return {"hello": greet("world")}
