def greet(name):
    return "hello, %s" % name
