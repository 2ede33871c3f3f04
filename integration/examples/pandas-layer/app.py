from chalice import Chalice

app = Chalice(app_name="pandas-layer")


@app.lambda_function()
def quotes(event, context):
    # alpaca-py imports pandas, which the AWS SDK for pandas layer provides.
    from alpaca.data.historical import StockHistoricalDataClient  # noqa: F401

    return {"ok": True}
